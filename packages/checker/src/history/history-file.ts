/**
 * Reads a history file in any format the checker knows, chosen by the file's extension:
 * `.edn` (Jepsen's history.edn), `.jsonl` (JSON lines), `.log` (a Jepsen console log, as
 * in the Porcupine corpus), `.txt` (EDN op lines, as in the corpus's kv files). The only
 * I/O of the checker side.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { CheckerError } from '../errors.js';
import { parseHistoryEdn } from './history-edn.js';
import { parseHistoryJsonl } from './history-jsonl.js';
import type { Op } from './op.js';
import { parseJepsenConsoleLog } from './porcupine-log.js';

export type HistoryFormat = 'edn' | 'jsonl' | 'console-log';

export function historyFormatOf(path: string): HistoryFormat {
  switch (extname(path).toLowerCase()) {
    case '.jsonl':
    case '.json':
      return 'jsonl';
    case '.log':
      return 'console-log';
    default:
      return 'edn';
  }
}

export function parseHistory(text: string, format: HistoryFormat): Op[] {
  switch (format) {
    case 'edn':
      return parseHistoryEdn(text);
    case 'jsonl':
      return parseHistoryJsonl(text);
    case 'console-log':
      return parseJepsenConsoleLog(text);
  }
}

export function readHistoryFile(path: string, format: HistoryFormat = historyFormatOf(path)): Op[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CheckerError('HISTORY_UNREADABLE', `history ${path} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  try {
    return parseHistory(text, format);
  } catch (error) {
    if (error instanceof CheckerError) throw new CheckerError(error.code, `in ${path}: ${error.message.replace(/^[A-Z_]+: /, '')}`, { cause: error });
    throw error;
  }
}
