//! A deterministic pseudo-random mutator for the no-panic tests of the fuzz functions.

pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            usize::try_from(self.next() % n as u64).unwrap_or(0)
        }
    }

    /// A mutated copy of `seed`: a few random edits using bytes from `alphabet` and
    /// arbitrary bytes; sometimes entirely random data.
    pub(crate) fn mutate(&mut self, seed: &[u8], alphabet: &[u8]) -> Vec<u8> {
        if self.below(10) == 0 {
            let len = self.below(64);
            return (0..len).map(|_| (self.next() & 0xff) as u8).collect();
        }
        let mut v = seed.to_vec();
        let edits = 1 + self.below(6);
        for _ in 0..edits {
            let pos = self.below(v.len() + 1);
            match self.below(6) {
                0 => {
                    if pos < v.len() {
                        v.remove(pos);
                    }
                }
                1 => {
                    let b = alphabet
                        .get(self.below(alphabet.len()))
                        .copied()
                        .unwrap_or(0);
                    v.insert(pos, b);
                }
                2 => {
                    if let Some(x) = v.get_mut(pos) {
                        *x = (self.next() & 0xff) as u8;
                    }
                }
                3 => v.truncate(pos),
                4 => {
                    let end = (pos + self.below(16)).min(v.len());
                    let chunk: Vec<u8> = v.get(pos..end).unwrap_or_default().to_vec();
                    let at = self.below(v.len() + 1);
                    for (i, b) in chunk.into_iter().enumerate() {
                        v.insert(at + i, b);
                    }
                }
                _ => {
                    if let Some(x) = v.get_mut(pos) {
                        *x = alphabet
                            .get(self.below(alphabet.len()))
                            .copied()
                            .unwrap_or(0);
                    }
                }
            }
        }
        v
    }
}
