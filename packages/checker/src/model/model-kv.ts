/**
 * A key's string value, for the Porcupine kv corpus (and workloads like it): initially
 * "", `get` returns it, `put` replaces it, `append` concatenates to it. The state is one
 * key's value: the checker splits a history by key, and checks it whole with
 * `multiKeyModel(kvModel(), keys)`. A get of nil reads as "" (a missing key is empty).
 */
import { showOpValue, type Model, type ModelOp } from './model.js';

export function kvModel(): Model<string> {
  return KV;
}

const KV: Model<string> = Object.freeze({
  name: 'kv',
  describe: () => 'kv (a string per key, initially "")',
  initialState: () => '',
  step(value: string, op: ModelOp): string | undefined {
    switch (op.f) {
      case 'get':
        return (op.output ?? '') === value ? value : undefined;
      case 'put':
        return op.input as string;
      case 'append':
        return value + (op.input as string);
      default:
        return undefined;
    }
  },
  explainIllegal(value: string, op: ModelOp): string {
    if (op.f === 'get') return `can't get ${showOpValue(op.output)} from ${JSON.stringify(value)}`;
    return `kv has no ${op.f}`;
  },
  stateKey: (value: string) => value,
  stateToValue: (value: string) => value,
  checkOp(op: ModelOp): string | undefined {
    if (op.f === 'get') return op.output === null || typeof op.output === 'string' ? undefined : `a get returns a string, found ${showOpValue(op.output)}`;
    if (op.f === 'put' || op.f === 'append') return typeof op.input === 'string' ? undefined : `a ${op.f} needs a string, found ${showOpValue(op.input)}`;
    return `kv has no operation ${op.f}`;
  },
  isReadOnly: (op: ModelOp) => op.f === 'get',
  observesFailure: () => false,
});
