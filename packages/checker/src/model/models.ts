/**
 * The models by the names config files use (`checker.models: cas-register`), with the
 * defaults we run Jepsen tests with (see model-register.ts for why nil reads default to
 * only-while-absent).
 */
import { CheckerError } from '../errors.js';
import type { Model } from './model.js';
import { kvModel } from './model-kv.js';
import { mutexModel } from './model-mutex.js';
import { casRegisterModel, registerModel } from './model-register.js';

export const MODEL_NAMES = ['register', 'cas-register', 'mutex', 'kv'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export function isModelName(name: string): name is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(name);
}

/** The model of that name with its default options; MODEL_UNKNOWN otherwise. */
export function modelNamed(name: string): Model {
  switch (name) {
    case 'register':
      return registerModel();
    case 'cas-register':
      return casRegisterModel();
    case 'mutex':
      return mutexModel();
    case 'kv':
      return kvModel();
    default:
      throw new CheckerError('MODEL_UNKNOWN', `no model named ${name}; models are ${MODEL_NAMES.join(', ')}`);
  }
}
