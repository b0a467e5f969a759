import type { ModelRow, SyncAction } from './contract.js';

/** Thrown when an answer does not have the shape Tether's protocol gives it. */
export class ProtocolError extends Error {}

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const isRow = (value: unknown): value is ModelRow => isObject(value) && typeof value.id === 'string';

/** A Tether sync action as Loco takes it: exactly these fields, the full row for `insert` and `update`, and no data
 * for `delete` (Loco's storage writes whatever it is given). */
export const toLocoAction = (value: unknown): SyncAction => {
  if (!isObject(value) || typeof value.syncId !== 'number' || typeof value.modelName !== 'string' || typeof value.modelId !== 'string') {
    throw new ProtocolError('a sync action without syncId, modelName or modelId');
  }
  const { syncId, modelName, modelId, action } = value;
  if (action === 'delete') return { syncId, modelName, modelId, action };
  if ((action === 'insert' || action === 'update') && isRow(value.data)) {
    return { syncId, modelName, modelId, action, data: value.data };
  }
  throw new ProtocolError(`sync action ${syncId} is neither a delete nor an insert or update with its row`);
};

export const toLocoActions = (value: unknown): SyncAction[] => {
  if (!Array.isArray(value)) throw new ProtocolError('"sync" is not an array');
  return value.map(toLocoAction);
};

export const toPosition = (value: unknown, name: string): number => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ProtocolError(`"${name}" is not a syncId`);
  }
  return value;
};

export const toGroups = (value: unknown): string[] => {
  if (!Array.isArray(value) || !value.every((group) => typeof group === 'string')) {
    throw new ProtocolError('"syncGroups" is not a list of group names');
  }
  return value;
};
