//! What each method does, one call at a time.

use crate::support::{balances, finishes};
use bank::{Bank, TransferError};
use testkit::prelude::*;

/// Compiles only if `T` can be moved to another thread (`Send`) and shared
/// between threads by reference (`Sync`).
fn assert_send_sync<T: Send + Sync + 'static>() {}

// Checked when this test crate is compiled: a Bank that is not Send + Sync
// makes the whole hidden suite fail to build, with rustc's error naming the
// missing trait (for example "cannot be shared between threads safely" for a
// `Cell` or `RefCell` inside instead of a lock).
const _: fn() = assert_send_sync::<Bank>;

/// `transfer(from, to, amount)` on a new bank with `start`, on a thread of its
/// own with a deadline; returns what it returned and the balances after.
fn transfer_once(start: &[u64], from: usize, to: usize, amount: u64) -> (Result<(), TransferError>, Vec<Option<u64>>) {
    let start = start.to_vec();
    finishes(&format!("transfer({from}, {to}, {amount}) on a bank with balances {start:?}"), GENEROUS, move || {
        let bank = Bank::new(&start);
        let result = bank.transfer(from, to, amount);
        (result, balances(&bank, start.len()))
    })
}

/// `start` as the balances `balance()` should report.
fn unchanged(start: &[u64]) -> Vec<Option<u64>> {
    start.iter().map(|&b| Some(b)).collect()
}

hidden_tests! {
    fn new_bank_holds_the_starting_balances() {
        failing_means(Category::WrongResult);
        let start = [10, 0, 7, 1_000_000];
        let seen = finishes("Bank::new and balance()", GENEROUS, move || balances(&Bank::new(&start), 4));
        assert_eq!(
            seen, unchanged(&start),
            "Bank::new(&{start:?}) then balance(0..4) returned {seen:?}: account i starts with balances[i]"
        );
    }

    fn balance_of_a_missing_account_is_none() {
        failing_means(Category::WrongResult);
        let seen = finishes("balance() of a missing account", GENEROUS, || {
            let bank = Bank::new(&[5, 6]);
            let empty = Bank::new(&[]);
            [bank.balance(2), bank.balance(usize::MAX), empty.balance(0)]
        });
        assert_eq!(
            seen, [None, None, None],
            "balance(2) and balance(usize::MAX) on a bank of 2 accounts, and balance(0) on a bank of none, returned \
             {seen:?}: there is no such account, so balance must return None (and must not panic)"
        );
    }

    fn total_is_the_sum_of_all_balances() {
        failing_means(Category::WrongResult);
        let seen = finishes("total()", GENEROUS, || {
            [Bank::new(&[1, 2, 3, 4]).total(), Bank::new(&[]).total(), Bank::new(&[0, 0]).total()]
        });
        assert_eq!(
            seen, [10, 0, 0],
            "total() on banks with balances [1, 2, 3, 4], [] and [0, 0] returned {seen:?}: total is the sum of every \
             account's balance (0 for a bank with no accounts)"
        );
    }

    fn balances_use_the_whole_u64_range() {
        failing_means(Category::WrongResult);
        let (result, after, total) = finishes("transfers of large amounts", GENEROUS, || {
            let bank = Bank::new(&[u64::MAX - 10, 10]);
            let result = bank.transfer(1, 0, 10);
            (result, balances(&bank, 2), bank.total())
        });
        assert_eq!(
            (result, after, total), (Ok(()), vec![Some(u64::MAX), Some(0)], u64::MAX),
            "on a bank with balances [u64::MAX - 10, 10], transfer(1, 0, 10) must succeed and leave [u64::MAX, 0] with \
             total() u64::MAX: balances are u64, and any sum of them that fits in a u64 must be kept exactly"
        );
    }

    fn transfer_moves_exactly_the_amount() {
        failing_means(Category::WrongResult);
        let (result, after) = transfer_once(&[100, 50, 9], 0, 1, 30);
        assert_eq!(
            (result.clone(), after.clone()), (Ok(()), vec![Some(70), Some(80), Some(9)]),
            "transfer(0, 1, 30) on balances [100, 50, 9] returned {result:?} and left {after:?}: it must return Ok and \
             take exactly 30 from account 0 and give exactly 30 to account 1, touching no other account"
        );
        let (result, after) = transfer_once(&[100, 50, 9], 2, 0, 4);
        assert_eq!(
            (result.clone(), after.clone()), (Ok(()), vec![Some(104), Some(50), Some(5)]),
            "transfer(2, 0, 4) on balances [100, 50, 9] returned {result:?} and left {after:?}: money moves from a \
             higher index to a lower one just as well"
        );
    }

    fn transfer_of_the_whole_balance_succeeds() {
        failing_means(Category::WrongResult);
        let (result, after) = transfer_once(&[40, 2], 0, 1, 40);
        assert_eq!(
            (result.clone(), after.clone()), (Ok(()), vec![Some(0), Some(42)]),
            "transfer(0, 1, 40) from an account holding exactly 40 returned {result:?} and left {after:?}: an account \
             may be emptied, so a balance equal to the amount is enough (compare with <, not <=)"
        );
    }

    fn transfer_of_more_than_the_balance_is_refused_and_changes_nothing() {
        failing_means(Category::WrongResult);
        for (start, amount) in [([10, 5], 11), ([0, 5], 1), ([3, 0], u64::MAX)] {
            let (result, after) = transfer_once(&start, 0, 1, amount);
            assert_eq!(
                (result.clone(), after.clone()), (Err(TransferError::InsufficientFunds), unchanged(&start)),
                "transfer(0, 1, {amount}) on balances {start:?} returned {result:?} and left {after:?}: account 0 holds \
                 less than {amount}, so it must return Err(InsufficientFunds) and change no balance (check the funds \
                 before you take or give anything)"
            );
        }
    }

    fn transfer_of_zero_succeeds_and_changes_nothing() {
        failing_means(Category::WrongResult);
        let (result, after) = transfer_once(&[10, 5], 1, 0, 0);
        assert_eq!(
            (result.clone(), after.clone()), (Ok(()), vec![Some(10), Some(5)]),
            "transfer(1, 0, 0) on balances [10, 5] returned {result:?} and left {after:?}: moving nothing between two \
             existing accounts is a valid transfer that changes nothing"
        );
    }

    fn transfer_to_the_same_account_is_refused_without_deadlock() {
        failing_means(Category::WrongResult);
        for (account, amount) in [(1, 5), (0, 1)] {
            let start = [10, 20];
            let (result, after) = transfer_once(&start, account, account, amount);
            assert_eq!(
                (result.clone(), after.clone()), (Err(TransferError::SameAccount), unchanged(&start)),
                "transfer({account}, {account}, {amount}) on balances {start:?} returned {result:?} and left {after:?}: \
                 a transfer from an account to itself must return Err(SameAccount) and change nothing"
            );
        }
    }

    fn transfer_with_a_missing_account_names_it_and_changes_nothing() {
        failing_means(Category::WrongResult);
        let start = [50, 60];
        for (from, to, missing) in [(0, 2, 2), (1, 9, 9), (0, usize::MAX, usize::MAX), (2, 1, 2), (7, 0, 7)] {
            let (result, after) = transfer_once(&start, from, to, 5);
            assert_eq!(
                (result.clone(), after.clone()), (Err(TransferError::NoSuchAccount(missing)), unchanged(&start)),
                "transfer({from}, {to}, 5) on a bank of 2 accounts with balances {start:?} returned {result:?} and left \
                 {after:?}: account {missing} does not exist, so it must return Err(NoSuchAccount({missing})), naming the \
                 missing index, and change no balance (in particular, nothing may be taken from an account that exists \
                 when the other one does not)"
            );
        }
        let (result, after) = transfer_once(&start, 3, 4, 5);
        assert!(
            matches!(result, Err(TransferError::NoSuchAccount(3 | 4))) && after == unchanged(&start),
            "transfer(3, 4, 5) on a bank of 2 accounts with balances {start:?} returned {result:?} and left {after:?}: \
             neither account exists, so it must return Err(NoSuchAccount(3)) or Err(NoSuchAccount(4)) and change nothing"
        );
    }

    fn bank_can_be_shared_between_threads() {
        failing_means(Category::WrongResult);
        // The traits themselves are checked when this crate compiles (see the
        // top of this file); here a bank is moved into one thread and shared
        // by reference with two more.
        let seen = finishes("a bank moved to and shared between threads", GENEROUS, || {
            let bank = Bank::new(&[10, 10, 10]);
            thread::spawn(move || {
                let (a, b) = thread::scope(|s| {
                    let a = s.spawn(|| bank.transfer(0, 1, 3));
                    let b = s.spawn(|| bank.transfer(2, 1, 4));
                    (a.join().unwrap(), b.join().unwrap())
                });
                (a, b, balances(&bank, 3), bank.total())
            })
            .join()
            .unwrap()
        });
        assert_eq!(
            seen, (Ok(()), Ok(()), vec![Some(7), Some(17), Some(6)], 30),
            "two threads sharing a bank with balances [10, 10, 10] made transfer(0, 1, 3) and transfer(2, 1, 4); \
             (their results, the balances, total()) were {seen:?}"
        );
    }
}
