// fetch that tries again when the request never got an answer (TypeError: the network
// changed, a phone switched networks, a connection was reset). Every call made through it
// is safe to repeat: queries, RPC reads, and sends of an already signed transaction (same
// signature, so the chain applies it at most once).
export async function retryingFetch(input: RequestInfo | URL, init?: RequestInit, attempts = 4): Promise<Response> {
  for (let i = 1; ; i++) {
    try {
      return await fetch(input, init);
    } catch (err) {
      if (!(err instanceof TypeError) || i >= attempts || init?.signal?.aborted) throw err;
      await new Promise((r) => setTimeout(r, 250 * 2 ** (i - 1)));
    }
  }
}
