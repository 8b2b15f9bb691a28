//! A deterministic RNG and byte-level mutations with a dictionary of the
//! migration format's tokens.

/// splitmix64 seeding into xorshift64*: deterministic, no dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator whose whole sequence is fixed by `seed`.
    pub fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True once in `n` times.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// A position in `0..=len`.
    fn position(&mut self, len: usize) -> usize {
        self.below(len + 1)
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Tokens of the file format, the target grammar and SQL quoting that byte
/// flips alone would take a long time to produce.
pub const DICTIONARY: &[&[u8]] = &[
    b"-- revision: ",
    b"-- down_revision: ",
    b"-- down_revision: none",
    b"-- depends_on: ",
    b"-- branch_labels: ",
    b"-- message: ",
    b"-- create_date: 2025-01-01 00:00:00",
    b"-- transactional: false",
    b"-- migrate:upgrade",
    b"-- migrate:downgrade",
    b"-- migrate:no-check",
    b"-- migrate:",
    b"-- fuzz:next-file\n",
    b"\n-- migrate:upgrade\n",
    b"\n-- migrate:downgrade\n",
    b"$$",
    b"$tag$",
    b"$1",
    b"'",
    b"''",
    b"\"",
    b"`",
    b"E'\\''",
    b"/*",
    b"*/",
    b"--",
    b"BEGIN",
    b"BEGIN ATOMIC",
    b"END;",
    b"END",
    b"CASE",
    b"CREATE TRIGGER t AFTER INSERT ON x BEGIN ",
    b"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;",
    b";",
    b"(",
    b")",
    b",",
    b"\r\n",
    b"\r",
    b"\n",
    b"\t",
    b"\xef\xbb\xbf",
    b"\xff",
    b"\xc3",
    b"\xe2\x82",
    b"\xf0\x9f\x98\x80",
    b"\0",
    b"99999999999999999999999",
    b"9223372036854775808",
    b"18446744073709551616",
    b"4294967296",
    b"@head",
    b"@base",
    b"head",
    b"heads",
    b"base",
    b"+",
    b"-",
    b"+1",
    b"-1",
    b"none",
    b"a1",
    b"955bb0742a21",
    b"SELECT 1;",
    b"CREATE TABLE t (id INT);",
    b"DROP TABLE t;",
    b"INSERT INTO t VALUES (1);",
];

/// Tokens repeated many times in a row: deep nesting, long chains and lines.
const REPEATED: &[&[u8]] = &[
    b"(", b"+1", b"-1", b"a+", b"$$", b"/*", b"'", b"-- x\n", b"BEGIN ", b"CASE ",
];

/// Longest input a mutation may produce.
pub const MAX_LEN: usize = 64 * 1024;

/// Applies 1 to 6 stacked mutations to `data`; `other` is a second corpus
/// input for splicing.
pub fn mutate(rng: &mut Rng, data: &mut Vec<u8>, other: &[u8]) {
    let rounds = 1 + rng.below(6);
    for _ in 0..rounds {
        mutate_once(rng, data, other);
    }
    data.truncate(MAX_LEN);
}

fn mutate_once(rng: &mut Rng, data: &mut Vec<u8>, other: &[u8]) {
    let len = data.len();
    match rng.below(12) {
        // Flip one bit.
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        // Replace a byte by an interesting one.
        1 if len > 0 => {
            let i = rng.below(len);
            data[i] = *rng.pick(&[
                0u8, b'\n', b'\r', b';', b'\'', b'"', b'$', b'-', b'+', b'@', b':', b',', b' ',
                0x7f, 0x80, 0xff, b'(', b')', b'/', b'*',
            ]);
        }
        // Delete a range.
        2 if len > 0 => {
            let start = rng.below(len);
            let n = 1 + rng.below((len - start).min(64));
            data.drain(start..start + n);
        }
        // Duplicate a range in place.
        3 if len > 0 => {
            let start = rng.below(len);
            let n = 1 + rng.below((len - start).min(256));
            let copy = data[start..start + n].to_vec();
            let at = rng.position(len);
            data.splice(at..at, copy);
        }
        // Insert random bytes.
        4 => {
            let at = rng.position(len);
            let n = 1 + rng.below(8);
            let bytes: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
            data.splice(at..at, bytes);
        }
        // Splice: our head with the other input's tail.
        5 if !other.is_empty() => {
            let cut = rng.position(len);
            let from = rng.below(other.len());
            data.truncate(cut);
            data.extend_from_slice(&other[from..]);
        }
        // Insert a range of the other input.
        6 if !other.is_empty() => {
            let from = rng.below(other.len());
            let n = 1 + rng.below((other.len() - from).min(512));
            let at = rng.position(len);
            data.splice(at..at, other[from..from + n].iter().copied());
        }
        // Insert a long digit string.
        7 => {
            let at = rng.position(len);
            let n = 1 + rng.below(40);
            let digits: Vec<u8> = (0..n).map(|_| b'0' + rng.below(10) as u8).collect();
            data.splice(at..at, digits);
        }
        // Repeat a short token many times (deep nesting, long lines).
        8 => {
            let token = *rng.pick(REPEATED);
            let times = 1 + rng.below(4000);
            let at = rng.position(len);
            let repeated = token.repeat(times);
            data.splice(at..at, repeated);
        }
        // Insert a dictionary token, often at a line start.
        _ => {
            let token = *rng.pick(DICTIONARY);
            let mut at = rng.position(len);
            if rng.one_in(2) {
                at = data[..at]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |p| p + 1);
            }
            let mut bytes = token.to_vec();
            if token.starts_with(b"-- ") && rng.one_in(2) {
                bytes.push(b'\n');
            }
            data.splice(at..at, bytes);
        }
    }
}
