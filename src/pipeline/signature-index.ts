/**
 * The templates of one miner bucket by signature. A signature maps to the oldest
 * template holding it, so the index is a function of the bucket's templates alone:
 * a snapshot restored in creation order rebuilds exactly the index it was taken with.
 */

export interface Ordered {
  /** Creation order within the miner: lower is older. */
  order: number;
}

export interface SignatureIndex<T extends Ordered> {
  /** The oldest template with this signature. */
  get(signature: string): T | undefined;
  add(signature: string, item: T): void;
  /** Forget `item` under `signature` (the signature it was added with); the next oldest takes over. */
  remove(signature: string, item: T): void;
}

export function createSignatureIndex<T extends Ordered>(): SignatureIndex<T> {
  const oldest = new Map<string, T>();
  /** Every holder, oldest first, of the few signatures more than one template shares (generalised templates can meet). */
  const shared = new Map<string, T[]>();

  return {
    get: (signature) => oldest.get(signature),
    add(signature, item) {
      const holder = oldest.get(signature);
      if (holder === undefined) {
        oldest.set(signature, item);
        return;
      }
      let holders = shared.get(signature);
      if (holders === undefined) {
        holders = [holder];
        shared.set(signature, holders);
      }
      let at = holders.length;
      while (at > 0 && holders[at - 1]!.order > item.order) at--;
      holders.splice(at, 0, item);
      oldest.set(signature, holders[0]!);
    },
    remove(signature, item) {
      const holders = shared.get(signature);
      if (holders === undefined) {
        if (oldest.get(signature) === item) oldest.delete(signature);
        return;
      }
      const at = holders.indexOf(item);
      if (at >= 0) holders.splice(at, 1);
      if (holders.length === 1) shared.delete(signature);
      oldest.set(signature, holders[0]!);
    },
  };
}
