//! Small-cell and complementary suppression as pure functions over finest-grain tables: the
//! store fetches the tables, this module decides which figures may be published. It never
//! touches the database and never sees a person, only counts.
//!
//! # Method (see `docs/statistics.md` for the argument)
//! - The table of one measure, one calendar year and one caller's scope counts the units of
//!   every combination of the measure's dimensions and month ([`Cell`]).
//! - [`Year::partition`] splits that table into *blocks* with a fixed tree of levels (quarter,
//!   then the measure's dimensions in priority order, month first or last): at each level the
//!   groups counting fewer than the threshold `k` are merged into one group, and when that
//!   merged group still counts fewer than `k` the smallest remaining group joins it
//!   (complementary suppression). Every block therefore counts at least `k` units, except the
//!   whole year when it counts fewer, which is marked unpublishable.
//! - [`figures`] publishes a figure only when the cells it adds up are exactly a union of
//!   publishable blocks and the sum is at least `k`; otherwise it is suppressed.
//!
//! Every published figure is thus a sum of whole blocks of the same fixed partition, whatever
//! the grouping, filter or (whole-month) period asked: any count that can be solved for from
//! any set of published figures is itself a sum of whole blocks, so it is 0 or at least `k`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::Hash;

/// The value of one dimension in one finest-grain cell.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Val {
    /// One value (`MALE`, a province code ...).
    One(String),
    /// A set of values (a case's exploitation forms or countries): sorted, without duplicates.
    Set(Vec<String>),
}

impl Val {
    /// A set value from members in any order.
    pub(crate) fn set(mut members: Vec<String>) -> Val {
        members.sort();
        members.dedup();
        Val::Set(members)
    }

    /// The values a grouping counts the cell under: the value itself, or each member of a set.
    pub(crate) fn members(&self) -> &[String] {
        match self {
            Val::One(v) => std::slice::from_ref(v),
            Val::Set(v) => v,
        }
    }

    /// Whether the cell passes a filter allowing `allowed` (a set passes with any member).
    pub(crate) fn passes(&self, allowed: &BTreeSet<String>) -> bool {
        self.members().iter().any(|m| allowed.contains(m))
    }
}

/// One finest-grain cell of a calendar year: the month, the value of every dimension of the
/// measure (in the measure's order), and how many units it counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cell {
    /// Month of the year, 1 to 12.
    pub(crate) month: u32,
    /// One value per dimension of the measure.
    pub(crate) values: Vec<Val>,
    /// Units counted (at least 1: the store returns only combinations that occur).
    pub(crate) count: u64,
}

/// One level of the tree that splits a year's table into blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    /// The calendar quarter.
    Quarter,
    /// The month.
    Month,
    /// The dimension at this index of [`Cell::values`] (a set value splits as one value).
    Dim(usize),
}

/// The key a cell splits under at one level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key<'a> {
    Time(u32),
    Value(&'a Val),
}

impl Level {
    fn key(self, cell: &Cell) -> Key<'_> {
        match self {
            Level::Quarter => Key::Time((cell.month.saturating_sub(1)) / 3),
            Level::Month => Key::Time(cell.month),
            Level::Dim(i) => cell.values.get(i).map_or(Key::Time(0), Key::Value),
        }
    }
}

/// One protected block: a set of cells whose parts are never published separately.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Block {
    /// How many cells it holds.
    cells: usize,
    /// Whether it may be part of a published figure (false only for a year counting fewer
    /// than the threshold in all).
    publishable: bool,
}

/// A calendar year's finest-grain table of one measure, split into protected blocks.
#[derive(Clone, Debug)]
pub(crate) struct Year {
    /// The calendar year.
    pub(crate) year: i32,
    /// The cells that occur.
    cells: Vec<Cell>,
    /// The block of each cell (index into `blocks`).
    block_of: Vec<usize>,
    /// The blocks.
    blocks: Vec<Block>,
}

impl Year {
    /// Splits `cells` (the year's table) into blocks along `levels` with threshold `k`.
    ///
    /// The result depends only on the table, the levels and `k`: never on what is asked of it,
    /// so every question about the year is answered from the same blocks.
    pub(crate) fn partition(year: i32, cells: Vec<Cell>, levels: &[Level], k: u64) -> Year {
        let mut out = Year {
            year,
            block_of: vec![0; cells.len()],
            blocks: Vec::new(),
            cells: Vec::new(),
        };
        if cells.is_empty() {
            return out;
        }
        let total: u64 = cells.iter().map(|c| c.count).sum();
        let all: Vec<usize> = (0..cells.len()).collect();
        if total < k {
            out.blocks.push(Block {
                cells: cells.len(),
                publishable: false,
            });
        } else {
            split(&cells, all, levels, k, &mut out.block_of, &mut out.blocks);
        }
        out.cells = cells;
        out
    }

    /// The number of blocks (for tests and logs).
    #[cfg(test)]
    pub(crate) fn block_count(&self) -> usize {
        self.blocks.len()
    }
}

/// A group of cells (indices) with its count.
type Group = (u64, Vec<usize>);

/// A figure being added up: its count, and how many cells of each block (year, block) it takes.
type Sum = (u64, HashMap<(usize, usize), usize>);

fn count(cells: &[Cell], group: &[usize]) -> u64 {
    group.iter().map(|i| cells[*i].count).sum()
}

/// Splits `node` (at least `k` units) at the first of `levels`, merges the groups under `k`
/// (with the smallest other group when the merged group is still under `k`), and recurses.
fn split(
    cells: &[Cell],
    node: Vec<usize>,
    levels: &[Level],
    k: u64,
    block_of: &mut [usize],
    blocks: &mut Vec<Block>,
) {
    let Some((level, rest)) = levels.split_first() else {
        let id = blocks.len();
        for i in &node {
            block_of[*i] = id;
        }
        blocks.push(Block {
            cells: node.len(),
            publishable: true,
        });
        return;
    };
    let mut groups: BTreeMap<Key<'_>, Vec<usize>> = BTreeMap::new();
    for i in node {
        groups.entry(level.key(&cells[i])).or_default().push(i);
    }
    let (mut large, small): (Vec<Group>, Vec<Group>) = groups
        .into_values()
        .map(|g| (count(cells, &g), g))
        .partition(|(n, _)| *n >= k);
    let mut children: Vec<Vec<usize>> = Vec::new();
    if !small.is_empty() {
        let mut merged: Vec<usize> = small.into_iter().flat_map(|(_, g)| g).collect();
        if count(cells, &merged) < k {
            // Complementary suppression: without it the merged group would be the node's
            // total minus the published groups.
            let smallest = large
                .iter()
                .enumerate()
                .min_by_key(|(i, (n, _))| (*n, *i))
                .map(|(i, _)| i);
            if let Some(i) = smallest {
                merged.extend(large.remove(i).1);
            }
        }
        children.push(merged);
    }
    children.extend(large.into_iter().map(|(_, g)| g));
    for child in children {
        split(cells, child, rest, k, block_of, blocks);
    }
}

/// Publishes figures: for every key that `keys` files a counted cell under, the sum of the
/// cells `member` selects, when those cells make up whole publishable blocks and sum to at
/// least `k`. Keys absent from the result are suppressed (or count nothing).
///
/// `member` says whether a cell (of `year`) belongs to the question at all (period, filter);
/// `keys` gives the group keys it is counted under (one per value, several for set values).
pub(crate) fn figures<K: Eq + Hash + Ord>(
    years: &[Year],
    k: u64,
    member: impl Fn(i32, &Cell) -> bool,
    keys: impl Fn(i32, &Cell) -> Vec<K>,
) -> BTreeMap<K, u64> {
    let mut sums: HashMap<K, Sum> = HashMap::new();
    for (y, year) in years.iter().enumerate() {
        for (c, cell) in year.cells.iter().enumerate() {
            if !member(year.year, cell) {
                continue;
            }
            for key in keys(year.year, cell) {
                let entry = sums.entry(key).or_default();
                entry.0 += cell.count;
                *entry.1.entry((y, year.block_of[c])).or_default() += 1;
            }
        }
    }
    sums.into_iter()
        .filter(|(_, (n, touched))| {
            *n >= k
                && touched.iter().all(|((y, b), cells)| {
                    let block = years[*y].blocks[*b];
                    block.publishable && block.cells == *cells
                })
        })
        .map(|(key, (n, _))| (key, n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn one(s: &str) -> Val {
        Val::One(s.to_string())
    }

    /// Persons supported in a quarter: 15 men (14 Kinh, one of an ethnic minority) and 15
    /// women (all Kinh), in July to September.
    fn hotline_quarter() -> Vec<Cell> {
        let mut cells = Vec::new();
        for (month, sex, eth, n) in [
            (7, "MALE", "KINH", 5),
            (8, "MALE", "KINH", 4),
            (8, "MALE", "MINORITY", 1),
            (9, "MALE", "KINH", 5),
            (7, "FEMALE", "KINH", 5),
            (8, "FEMALE", "KINH", 5),
            (9, "FEMALE", "KINH", 5),
        ] {
            cells.push(Cell {
                month,
                values: vec![one(sex), one(eth)],
                count: n,
            });
        }
        cells
    }

    const LEVELS: [Level; 4] = [Level::Quarter, Level::Dim(0), Level::Dim(1), Level::Month];

    fn q3(_: i32, c: &Cell) -> bool {
        (7..=9).contains(&c.month)
    }

    #[test]
    fn the_sex_split_is_published_and_the_ethnicity_split_is_not() {
        let year = Year::partition(2026, hotline_quarter(), &LEVELS, 5);
        let years = [year];
        let total = figures(&years, 5, q3, |_, _| vec![()]);
        assert_eq!(total.get(&()), Some(&30));
        let by_sex = figures(&years, 5, q3, |_, c| vec![c.values[0].clone()]);
        assert_eq!(by_sex.get(&one("MALE")), Some(&15));
        assert_eq!(by_sex.get(&one("FEMALE")), Some(&15));
        let by_eth = figures(&years, 5, q3, |_, c| vec![c.values[1].clone()]);
        assert!(by_eth.is_empty(), "{by_eth:?}");
        let both = figures(&years, 5, q3, |_, c| vec![c.values.clone()]);
        assert_eq!(both.get(&vec![one("FEMALE"), one("KINH")]), Some(&15));
        assert_eq!(both.get(&vec![one("MALE"), one("KINH")]), None);
        // August alone is published (its blocks are whole months), but not its ethnicity split:
        // the block of August's men holds the minority man with four Kinh men.
        let aug = figures(&years, 5, |_, c| c.month == 8, |_, _| vec![()]);
        assert_eq!(aug.get(&()), Some(&10));
        let aug_by_eth = figures(
            &years,
            5,
            |_, c| c.month == 8,
            |_, c| vec![c.values[1].clone()],
        );
        assert!(aug_by_eth.is_empty(), "{aug_by_eth:?}");
    }

    #[test]
    fn a_lone_small_group_takes_the_smallest_other_group_with_it() {
        let cells = vec![
            Cell {
                month: 1,
                values: vec![one("A")],
                count: 20,
            },
            Cell {
                month: 1,
                values: vec![one("B")],
                count: 7,
            },
            Cell {
                month: 1,
                values: vec![one("C")],
                count: 2,
            },
        ];
        let years = [Year::partition(2026, cells, &[Level::Dim(0)], 5)];
        let by = figures(&years, 5, |_, _| true, |_, c| vec![c.values[0].clone()]);
        assert_eq!(by.get(&one("A")), Some(&20));
        assert_eq!(by.get(&one("B")), None, "B protects C");
        assert_eq!(by.get(&one("C")), None);
        assert_eq!(years[0].block_count(), 2);
    }

    #[test]
    fn a_year_under_the_threshold_is_never_published_even_inside_a_larger_sum() {
        let small = Year::partition(
            2025,
            vec![Cell {
                month: 3,
                values: vec![],
                count: 3,
            }],
            &[Level::Quarter],
            5,
        );
        let large = Year::partition(
            2026,
            vec![Cell {
                month: 3,
                values: vec![],
                count: 50,
            }],
            &[Level::Quarter],
            5,
        );
        let years = [small, large];
        assert!(figures(&years, 5, |_, _| true, |_, _| vec![()]).is_empty());
        assert_eq!(
            figures(&years, 5, |y, _| y == 2026, |_, _| vec![()]).get(&()),
            Some(&50)
        );
    }

    // --- The published system never determines a small group -----------------------------

    /// Exact membership test of `t` in the row space of `rows` (fraction-free elimination with
    /// gcd normalisation, in i128).
    fn in_span(rows: &[Vec<i128>], t: &[i128]) -> bool {
        fn gcd(a: i128, b: i128) -> i128 {
            if b == 0 { a.abs() } else { gcd(b, a % b) }
        }
        fn normalise(v: &mut [i128]) {
            let g = v.iter().fold(0, |g, x| gcd(g, *x));
            if g > 1 {
                v.iter_mut().for_each(|x| *x /= g);
            }
        }
        fn reduce(basis: &[(usize, Vec<i128>)], v: &mut [i128]) {
            for (p, b) in basis {
                if v[*p] != 0 {
                    let (f, g) = (b[*p], v[*p]);
                    for (x, y) in v.iter_mut().zip(b) {
                        *x = *x * f - y * g;
                    }
                    normalise(v);
                }
            }
        }
        let mut basis: Vec<(usize, Vec<i128>)> = Vec::new();
        for r in rows {
            let mut v = r.clone();
            reduce(&basis, &mut v);
            if let Some(p) = v.iter().position(|x| *x != 0) {
                basis.push((p, v));
            }
        }
        let mut v = t.to_vec();
        reduce(&basis, &mut v);
        v.iter().all(|x| *x == 0)
    }

    /// A finest cell of the universe: (month, a, b).
    type Coord = (u32, usize, usize);

    /// The keys a grouping files a cell under.
    type Grouping<'a> = &'a dyn Fn(i32, &Cell) -> Vec<(i64, i64, i64)>;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Random tables over two dimensions and six months; every question over one or two
        /// dimensions with any filter, for the half-years and every run of months, is asked;
        /// no group of cells counting 1 to k-1 (any combination of month runs and values) is
        /// ever determined by the published figures, and no published figure is under k.
        #[test]
        fn no_small_group_is_ever_determined(
            counts in proptest::collection::vec(0u64..6, 6 * 3 * 2),
            k in 2u64..6,
        ) {
            let (na, nb) = (3usize, 2usize);
            let universe: Vec<Coord> = (1..=6u32)
                .flat_map(|m| (0..na).flat_map(move |a| (0..nb).map(move |b| (m, a, b))))
                .collect();
            let cells: Vec<Cell> = universe
                .iter()
                .zip(&counts)
                .filter(|(_, n)| **n > 0)
                .map(|((m, a, b), n)| Cell {
                    month: *m,
                    values: vec![Val::One(a.to_string()), Val::One(b.to_string())],
                    count: *n,
                })
                .collect();
            let count_of = |pred: &dyn Fn(&Coord) -> bool| -> u64 {
                universe.iter().zip(&counts).filter(|(c, _)| pred(c)).map(|(_, n)| *n).sum()
            };
            let years = [Year::partition(
                2026,
                cells,
                &[Level::Quarter, Level::Dim(0), Level::Dim(1), Level::Month],
                k,
            )];
            let coord = |c: &Cell| -> (usize, usize) {
                (
                    c.values[0].members()[0].parse().unwrap_or(0),
                    c.values[1].members()[0].parse().unwrap_or(0),
                )
            };
            let mut published: Vec<Vec<i128>> = Vec::new();
            let runs: Vec<(u32, u32)> = (1..=6).flat_map(|a| (a..=6).map(move |b| (a, b))).collect();
            // Filters: none, or one value of a, or one value of b.
            let filters: Vec<(Option<usize>, Option<usize>)> = std::iter::once((None, None))
                .chain((0..na).map(|a| (Some(a), None)))
                .chain((0..nb).map(|b| (None, Some(b))))
                .collect();
            for (from, to) in &runs {
                for (fa, fb) in &filters {
                    let member = |_: i32, c: &Cell| {
                        let (a, b) = coord(c);
                        (*from..=*to).contains(&c.month)
                            && fa.is_none_or(|x| x == a)
                            && fb.is_none_or(|x| x == b)
                    };
                    let groupings: [Grouping<'_>; 5] = [
                        &|_, _| vec![(-1, -1, -1)],
                        &|_, c| vec![(coord(c).0 as i64, -1, -1)],
                        &|_, c| vec![(-1, coord(c).1 as i64, -1)],
                        &|_, c| vec![(coord(c).0 as i64, coord(c).1 as i64, -1)],
                        &|_, c| vec![(-1, -1, i64::from(c.month))],
                    ];
                    for keys in groupings {
                        for ((ka, kb, km), value) in figures(&years, k, member, keys) {
                            prop_assert!(value >= k);
                            let row: Vec<i128> = universe
                                .iter()
                                .map(|(m, a, b)| {
                                    let inside = (*from..=*to).contains(m)
                                        && fa.is_none_or(|x| x == *a)
                                        && fb.is_none_or(|x| x == *b)
                                        && (ka < 0 || ka == *a as i64)
                                        && (kb < 0 || kb == *b as i64)
                                        && (km < 0 || km == i64::from(*m));
                                    i128::from(inside)
                                })
                                .collect();
                            let expected: i128 = row
                                .iter()
                                .zip(&counts)
                                .map(|(r, n)| r * i128::from(*n))
                                .sum();
                            prop_assert_eq!(i128::from(value), expected);
                            published.push(row);
                        }
                    }
                }
            }
            // Every group defined by a run of months and optional values of a and b.
            for (from, to) in &runs {
                for a in (0..na).map(Some).chain([None]) {
                    for b in (0..nb).map(Some).chain([None]) {
                        let pred = |(m, x, y): &Coord| {
                            (*from..=*to).contains(m)
                                && a.is_none_or(|v| v == *x)
                                && b.is_none_or(|v| v == *y)
                        };
                        let n = count_of(&pred);
                        if n == 0 || n >= k {
                            continue;
                        }
                        let t: Vec<i128> = universe.iter().map(|c| i128::from(pred(c))).collect();
                        prop_assert!(
                            !in_span(&published, &t),
                            "a group of {n} (months {from}-{to}, a {a:?}, b {b:?}) is determined"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_span_test_finds_a_differencing_attack() {
        // Without suppression, total minus Kinh gives the minority: the checker must see it.
        let total = vec![1, 1];
        let kinh = vec![1, 0];
        assert!(in_span(&[total, kinh], &[0, 1]));
        assert!(!in_span(&[vec![1, 1]], &[0, 1]));
    }
}
