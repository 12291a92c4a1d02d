/**
 * Edits in flight: what the canvas shows before Python answers. A dropped element stays
 * where it was dropped until Python's layout arrives; an add selects what it created; a
 * move along the stream or an open waits for its answer before the next.
 */

export interface Drop {
  dx: number;
  dy: number;
  seq: number;
}

export class Pending {
  /** Elements dropped (or nudged) and not yet answered, with their offset in map units. */
  readonly drops = new Map<string, Drop>();
  /** Seqs of adds whose created elements get selected. */
  private readonly adds = new Set<number>();
  /** The Earlier/Later move Python has not answered yet. */
  shiftSeq = 0;
  /** The "open" edit in flight: the view fits the new map when Python accepts it. */
  openSeq = 0;
  openName = "";

  drop(id: string, dx: number, dy: number, seq: number): void {
    this.drops.set(id, { dx, dy, seq });
  }

  add(seq: number): void {
    this.adds.add(seq);
  }

  /** A result arrived: forget what it answers. Returns whether it answered an add, and the drops it settled. */
  answered(seq: number): { add: boolean; dropped: string[] } {
    const dropped: string[] = [];
    for (const [id, drop] of this.drops)
      if (drop.seq <= seq) {
        this.drops.delete(id);
        dropped.push(id);
      }
    const add = this.adds.delete(seq);
    if (this.shiftSeq && seq >= this.shiftSeq) this.shiftSeq = 0;
    return { add, dropped };
  }

  clear(): void {
    this.drops.clear();
    this.adds.clear();
    this.shiftSeq = 0;
  }
}
