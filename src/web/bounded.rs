//! The one eviction rule of the web layer's bounded maps: the login
//! limiter's entries and the remembered bearer secrets ([`super::auth`])
//! and the sessions ([`super::session`]). Kept apart from both so that
//! neither has to import the other.
//!
//! Owns the rule only; each map keeps its own bound, its own idea of
//! "still live" and its own clock.

use std::collections::HashMap;
use std::hash::Hash;

/// Makes room for one more entry in `map`, bounded by `bound`: when full,
/// drops the entries that are no longer `live`, then, while still full,
/// the one least recently `used`.
pub(super) fn make_room<K: Clone + Eq + Hash, V, T: Ord>(
    map: &mut HashMap<K, V>,
    bound: usize,
    live: impl Fn(&V) -> bool,
    used: impl Fn(&V) -> T,
) {
    if map.len() < bound {
        return;
    }
    map.retain(|_, v| live(v));
    while map.len() >= bound {
        let Some(oldest) = map
            .iter()
            .min_by_key(|(_, v)| used(v))
            .map(|(k, _)| k.clone())
        else {
            break;
        };
        map.remove(&oldest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (live, last used) by key.
    fn full() -> HashMap<&'static str, (bool, u32)> {
        HashMap::from([("a", (true, 3)), ("b", (true, 1)), ("c", (true, 2))])
    }

    #[test]
    fn below_the_bound_nothing_goes() {
        let mut map = full();
        map.insert("dead", (false, 9));
        make_room(&mut map, 5, |v| v.0, |v| v.1);
        assert_eq!(map.len(), 4, "a dead entry stays while there is room");
    }

    #[test]
    fn dead_entries_go_first_then_the_least_recently_used() {
        let mut map = full();
        map.insert("dead", (false, 9));
        make_room(&mut map, 4, |v| v.0, |v| v.1);
        assert_eq!(map.len(), 3);
        assert!(!map.contains_key("dead"));

        make_room(&mut map, 3, |v| v.0, |v| v.1);
        let mut left: Vec<_> = map.keys().copied().collect();
        left.sort_unstable();
        assert_eq!(left, ["a", "c"], "b was used longest ago");
    }
}
