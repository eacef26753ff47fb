import type { DatabaseExecutor } from './storage.js';

/** Ids of one table drawn ahead in blocks (`Storage.drawIds`), handed out one at a time. */
export interface IdPool {
  /** The next id, drawing a block through `executor` when none is left; undefined where ids cannot be drawn. */
  next(executor: DatabaseExecutor): Promise<number | undefined>;
}

/**
 * Ids a stopping process never handed out are gaps, which identity columns may have anyway (a rolled-back
 * insert leaves one); ids therefore follow the order they were drawn in, not the order rows were written.
 */
export function createIdPool(
  drawIds: ((executor: DatabaseExecutor, count: number) => Promise<number[] | undefined>) | undefined,
  blockSize: number,
): IdPool {
  const drawn: number[] = [];
  // Dropped once it gives no ids: a database that cannot draw them never will.
  let draw = drawIds;
  return {
    async next(executor) {
      if (drawn.length === 0 && draw !== undefined) {
        const ids = await draw(executor, blockSize);
        if (ids === undefined) draw = undefined;
        else drawn.push(...ids);
      }
      return drawn.shift();
    },
  };
}
