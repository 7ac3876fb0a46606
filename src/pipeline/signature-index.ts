/**
 * The templates of one miner bucket by signature. A signature maps to the oldest
 * template holding it, so the index is a function of the bucket's templates alone:
 * a snapshot restored in creation order rebuilds exactly the index it was taken with.
 */

export interface Ordered {
  /** Creation order within the miner: lower is older. */
  order: number;
}

/** One per bucket, so kept lean: a class (no closures per instance) and a map of shared signatures only when one exists. */
export class SignatureIndex<T extends Ordered> {
  private readonly oldest = new Map<string, T>();
  /** Every holder, oldest first, of the few signatures more than one template shares (generalised templates can meet). */
  private shared: Map<string, T[]> | undefined;

  /** The oldest template with this signature. */
  get(signature: string): T | undefined {
    return this.oldest.get(signature);
  }

  add(signature: string, item: T): void {
    const holder = this.oldest.get(signature);
    if (holder === undefined) {
      this.oldest.set(signature, item);
      return;
    }
    this.shared ??= new Map();
    let holders = this.shared.get(signature);
    if (holders === undefined) {
      holders = [holder];
      this.shared.set(signature, holders);
    }
    let at = holders.length;
    while (at > 0 && holders[at - 1]!.order > item.order) at--;
    holders.splice(at, 0, item);
    this.oldest.set(signature, holders[0]!);
  }

  /** Forget `item` under `signature` (the signature it was added with); the next oldest takes over. */
  remove(signature: string, item: T): void {
    const holders = this.shared?.get(signature);
    if (holders === undefined) {
      if (this.oldest.get(signature) === item) this.oldest.delete(signature);
      return;
    }
    const at = holders.indexOf(item);
    if (at >= 0) holders.splice(at, 1);
    if (holders.length === 1) this.shared!.delete(signature);
    this.oldest.set(signature, holders[0]!);
  }
}
