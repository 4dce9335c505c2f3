//! The verified-token memo: a repeated token skips decoding and signature
//! verification. Keyed by the exact token bytes (the map compares the whole
//! key on a hit, so a hash collision can never skip verification), bounded,
//! and valid until the token's `exp` plus leeway, never longer than a
//! configured maximum, and only while the key that verified it is still in
//! its issuer's set. A hit copies a pointer and allocates nothing.

use crate::keys::Retired;
use crate::policy::Grant;
use crate::respond::IamText;
use quick_cache::sync::Cache;
use quick_cache::{DefaultHashBuilder, Weighter};
use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Arc;

/// The result of verifying a token, ready to answer again.
#[derive(Debug)]
pub struct Verified {
    /// Unix seconds after which the entry must not answer.
    pub valid_until: f64,
    /// The verifying key's flag: once it is retired, the entry must not answer.
    pub key_retired: Option<Retired>,
    /// The permissions document `grant` comes from ([`crate::grants::Compiled`]):
    /// after a swap, the entry must not answer.
    pub generation: u64,
    /// The token's grant, shared by every token with the same scopes.
    pub grant: Arc<Grant>,
    /// The per-token parts of the IAM response and, once memoised, the
    /// token: an entry is this one string and its `Arc`.
    pub iam: IamText,
}

impl Verified {
    /// The IAM policy response (`principalId` is the token's `sub`), as the
    /// three pieces to write one after the other.
    pub fn iam_response(&self) -> [&str; 3] {
        self.iam.pieces(&self.grant.policy_document)
    }

    /// The `context` object JSON (for the HTTP API simple response).
    pub fn context(&self) -> &str {
        self.iam.context()
    }

    fn token(&self) -> &str {
        self.iam.token()
    }

    /// The bytes this entry holds: itself, its text, and its grant (counted
    /// whole although it may be shared, so the bound is conservative), plus
    /// the `Arc` and the cache slot.
    pub fn bytes(&self) -> u64 {
        (std::mem::size_of::<Verified>() + self.iam.heap_bytes() + 64) as u64 + self.grant.bytes()
    }
}

/// Weighs an entry by its bytes, and at least `floor` (the byte bound over
/// the entry bound), so that both bounds hold.
#[derive(Clone)]
pub(crate) struct EntryBytes {
    pub(crate) floor: u64,
}

impl Weighter<Key, Arc<Verified>> for EntryBytes {
    fn weight(&self, _: &Key, entry: &Arc<Verified>) -> u64 {
        entry.bytes().max(self.floor)
    }
}

/// A memo key: the entry itself, hashed and compared by its token's bytes
/// exactly as a `&str` lookup is (so `get(&str)` finds it, and a hash
/// collision still has to match every byte).
struct Key(Arc<Verified>);

impl Borrow<str> for Key {
    fn borrow(&self) -> &str {
        self.0.token()
    }
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.token().hash(state);
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.0.token() == other.0.token()
    }
}

impl Eq for Key {}

/// How many trailing bytes of a token the memo hashes.
const HASHED_TAIL: usize = 32;

/// The memo's hash: a token's length and its last 32 bytes, seeded per
/// process. Hashing all of an 800-byte token, on every lookup and again on
/// insert, cost more than the rest of a hit. The tail is the signature (or
/// an opaque token's random end), which for every entry the IdP made, not
/// the caller: colliding entries would need colliding signatures, and a
/// collision would only cost a comparison, since every byte is compared.
#[derive(Clone, Default)]
struct TailHash(DefaultHashBuilder);

impl BuildHasher for TailHash {
    type Hasher = TailHasher<<DefaultHashBuilder as BuildHasher>::Hasher>;
    fn build_hasher(&self) -> Self::Hasher {
        TailHasher(self.0.build_hasher())
    }
}

struct TailHasher<H>(H);

impl<H: Hasher> Hasher for TailHasher<H> {
    fn finish(&self) -> u64 {
        self.0.finish()
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.write_usize(bytes.len());
        self.0
            .write(&bytes[bytes.len().saturating_sub(HASHED_TAIL)..]);
    }
}

/// Map from token to [`Verified`], bounded in entries and in bytes.
pub struct TokenMemo {
    cache: Cache<Key, Arc<Verified>, EntryBytes, TailHash>,
    max_age: f64,
}

impl TokenMemo {
    /// A memo of at most `entries` tokens and about `max_bytes` bytes (the
    /// weights of its entries), each kept at most `max_age` seconds.
    pub fn new(entries: usize, max_bytes: u64, max_age: f64) -> TokenMemo {
        let entries = entries.max(1);
        let max_bytes = max_bytes.max(1);
        TokenMemo {
            cache: Cache::with(
                entries,
                max_bytes,
                EntryBytes {
                    floor: max_bytes.div_ceil(entries as u64),
                },
                TailHash::default(),
                quick_cache::sync::DefaultLifecycle::default(),
            ),
            max_age,
        }
    }

    /// The entry for `token` if it is still valid at `now` and was rendered
    /// from the permissions of `generation`.
    #[inline]
    pub fn get(&self, token: &str, now: f64, generation: u64) -> Option<Arc<Verified>> {
        let hit = self.cache.get(token)?;
        if now < hit.valid_until
            && hit.generation == generation
            && !hit.key_retired.as_ref().is_some_and(Retired::is_retired)
        {
            Some(hit)
        } else {
            self.cache.remove(token);
            None
        }
    }

    /// How long an entry verified at `now` for a token valid until `token_valid_until` may live.
    pub fn deadline(&self, now: f64, token_valid_until: f64) -> f64 {
        token_valid_until.min(now + self.max_age)
    }

    /// Remembers `verified` as the answer to `token`; returns the shared entry.
    pub fn insert(&self, token: &str, verified: Verified) -> Arc<Verified> {
        let entry = Self::prepare(self, token, verified);
        self.commit(Arc::clone(&entry));
        entry
    }

    /// The entry `verified` becomes for `token` (its key travels in it),
    /// not yet in the memo.
    pub fn prepare(&self, token: &str, mut verified: Verified) -> Arc<Verified> {
        verified.iam.append_token(token);
        Arc::new(verified)
    }

    /// Puts a prepared entry in the memo: the insert, the eviction it may
    /// cause, and the freeing of what it evicts.
    pub fn commit(&self, entry: Arc<Verified>) {
        self.cache.insert(Key(Arc::clone(&entry)), entry);
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        self.cache.clear();
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.cache.len()
    }

    /// No entry held.
    pub fn is_empty(&self) -> bool {
        self.cache.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(valid_until: f64) -> Verified {
        let grant = Arc::new(Grant {
            allow: false,
            policy_document: crate::policy::DENY_ALL.into(),
            scope: "".into(),
            resources: Box::new([]),
            answer: crate::policy::Answer::Complete,
            complete_bytes: 0,
            denied: Box::new([]),
        });
        let claims = crate::verify::Claims {
            sub: "u",
            exp: valid_until,
            client_id: None,
            scopes: vec![],
            wrong_type_sources: 0,
            context: vec![],
        };
        let iam = IamText::render(&claims, &grant, 0);
        Verified {
            valid_until,
            key_retired: None,
            generation: 1,
            grant,
            iam,
        }
    }

    #[test]
    fn an_entry_stops_answering_once_its_key_is_retired() {
        let memo = TokenMemo::new(4, 1 << 20, 600.0);
        let key = Retired::default();
        memo.insert(
            "t",
            Verified {
                key_retired: Some(key.clone()),
                ..entry(100.0)
            },
        );
        memo.insert("other", entry(100.0));
        assert!(memo.get("t", 1.0, 1).is_some());
        key.retire();
        assert!(memo.get("t", 1.0, 1).is_none());
        assert!(
            memo.get("other", 1.0, 1).is_some(),
            "other keys' entries stay"
        );
    }

    #[test]
    fn entries_answer_until_their_deadline_and_not_after() {
        let memo = TokenMemo::new(4, 1 << 20, 600.0);
        memo.insert("t", entry(100.0));
        assert!(memo.get("t", 99.9, 1).is_some());
        assert!(memo.get("t", 100.0, 1).is_none());
        assert!(
            memo.get("t", 50.0, 1).is_none(),
            "an expired entry is dropped"
        );
    }

    #[test]
    fn an_entry_from_other_permissions_does_not_answer() {
        let memo = TokenMemo::new(4, 1 << 20, 600.0);
        memo.insert("t", entry(100.0));
        assert!(memo.get("t", 1.0, 1).is_some());
        assert!(memo.get("t", 1.0, 2).is_none());
    }

    #[test]
    fn lookups_need_the_exact_token() {
        let memo = TokenMemo::new(4, 1 << 20, 600.0);
        memo.insert("a.b.c", entry(100.0));
        assert!(memo.get("a.b.c ", 1.0, 1).is_none());
        assert!(memo.get("a.b.C", 1.0, 1).is_none());
        assert!(memo.get("a.b.c", 1.0, 1).is_some());
    }

    #[test]
    fn tokens_alike_in_their_tail_are_still_told_apart() {
        let memo = TokenMemo::new(64, 1 << 20, 600.0);
        let tail = "S".repeat(HASHED_TAIL);
        for i in 0..20 {
            memo.insert(&format!("head-{i:02}.{tail}"), entry(100.0 + f64::from(i)));
        }
        for i in 0..20 {
            let hit = memo.get(&format!("head-{i:02}.{tail}"), 1.0, 1).unwrap();
            assert_eq!(hit.valid_until, 100.0 + f64::from(i));
        }
        assert!(memo.get(&format!("head-99.{tail}"), 1.0, 1).is_none());
    }

    #[test]
    fn the_deadline_never_exceeds_the_maximum_age() {
        let memo = TokenMemo::new(4, 1 << 20, 600.0);
        assert_eq!(memo.deadline(1000.0, 5000.0), 1600.0);
        assert_eq!(memo.deadline(1000.0, 1200.0), 1200.0);
    }

    #[test]
    fn the_memo_is_bounded() {
        let memo = TokenMemo::new(10, 1 << 20, 600.0);
        for i in 0..1000 {
            memo.insert(&format!("token-{i}"), entry(1e9));
        }
        assert!(memo.len() <= 20, "len {}", memo.len());
    }
}
