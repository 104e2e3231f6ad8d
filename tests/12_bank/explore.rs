//! Schedule exploration for exercise 12: the learner's Bank, rebuilt on
//! shuttle's Mutex and threads (see `xtask/src/engine/explore.rs`), run under
//! thousands of chosen interleavings.
//!
//! The bank's mistakes live between two lock operations: a transfer that
//! holds one account and reaches for the other, a sum taken while a
//! transfer has debited and not yet credited, a balance checked and then
//! spent under another lock. Real threads must be preempted at exactly that
//! point; a scheduler that may switch threads at every lock finds it in a
//! fraction of a second, and finds it again on every run. Each execution is
//! two threads making one call each, so that the whole budget stays cheap.
//!
//! A deadlock is shuttle seeing every thread blocked (`deadlock! blocked
//! tasks: ...`), a failure the test's code never gets to look at. So the
//! category that stands while the threads run is `Deadlock` wherever a lock
//! cycle is possible, and a check that finds wrong money declares its own
//! category just before it fails ([`fail`]).
//!
//! Built only by `cargo xtask` (it needs the rewritten crate), never by
//! `cargo test -p bank_tests`.

use bank::{Bank, TransferError};
use shuttle::sync::Arc;
use testkit::explore::{Budget, explore};
use testkit::prelude::{Category, failing_means, hidden_tests};

/// Fails the running schedule as `category`. Declared only here, at the
/// moment a check fails, because until then the test's category has to be
/// the one shuttle's own failure (every thread blocked) falls under.
fn fail(category: Category, message: String) -> ! {
    failing_means(category);
    panic!("{message}");
}

/// Every account's balance, read once no other thread uses the bank.
fn balances(bank: &Bank, accounts: usize) -> Vec<Option<u64>> {
    (0..accounts).map(|a| bank.balance(a)).collect()
}

/// Two transfers between accounts 0 and 1 in opposite directions, at once:
/// both must finish, and the balances must be what the two amounts say.
fn opposite_transfers_finish() {
    let bank = Arc::new(Bank::new(&[10, 10]));
    let other = bank.clone();
    let there = shuttle::thread::spawn(move || other.transfer(0, 1, 3));
    let back = bank.transfer(1, 0, 5);
    let there = there.join().expect("the thread running transfer(0, 1, 3) panicked");
    if there != Ok(()) || back != Ok(()) {
        fail(
            Category::WrongResult,
            format!(
                "both transfers had the money and should have returned Ok(()); transfer(0, 1, 3) returned \
                 {there:?} and transfer(1, 0, 5) returned {back:?}"
            ),
        );
    }
    let got = balances(&bank, 2);
    if got != [Some(12), Some(8)] {
        fail(
            Category::LostUpdate,
            format!(
                "starting from [10, 10], transfer(0, 1, 3) and transfer(1, 0, 5) left the balances at {got:?} \
                 instead of [Some(12), Some(8)]: money was created or lost"
            ),
        );
    }
}

/// `total()` on one thread while another moves money: the sum it returns,
/// and the one after, must be the starting sum.
fn total_during_a_transfer() {
    let bank = Arc::new(Bank::new(&[10, 10]));
    let other = bank.clone();
    let transfer = shuttle::thread::spawn(move || other.transfer(0, 1, 4));
    let during = bank.total();
    let moved = transfer.join().expect("the thread running transfer(0, 1, 4) panicked");
    if during != 20 {
        fail(
            Category::LostUpdate,
            format!(
                "total() returned {during} while transfer(0, 1, 4) ran on [10, 10]; every instant's sum is 20, \
                 so it added up a state that never existed"
            ),
        );
    }
    if moved != Ok(()) {
        fail(Category::WrongResult, format!("transfer(0, 1, 4) from a balance of 10 returned {moved:?}, not Ok(())"));
    }
    let (got, after) = (balances(&bank, 2), bank.total());
    if got != [Some(6), Some(14)] || after != 20 {
        fail(
            Category::LostUpdate,
            format!(
                "after transfer(0, 1, 4) on [10, 10] the balances are {got:?} and total() is {after}, instead of \
                 [Some(6), Some(14)] and 20: money was created or lost"
            ),
        );
    }
}

/// Two transfers of 6 from an account holding 10, to two different
/// accounts, at once: exactly one may succeed, and the refused one must
/// change nothing.
fn one_of_two_withdrawals_succeeds() {
    let bank = Arc::new(Bank::new(&[10, 0, 0]));
    let other = bank.clone();
    let first = shuttle::thread::spawn(move || other.transfer(0, 1, 6));
    let second = bank.transfer(0, 2, 6);
    let first = first.join().expect("the thread running transfer(0, 1, 6) panicked");
    let refused = Err(TransferError::InsufficientFunds);
    let winner = match (&first, &second) {
        (Ok(()), Ok(())) => fail(
            Category::CheckThenAct,
            "account 0 held 10 and transfer(0, 1, 6) and transfer(0, 2, 6) both returned Ok(()): both passed \
             the funds check before either took the money, so 12 was spent out of 10"
                .to_string(),
        ),
        (Ok(()), r) if *r == refused => 1,
        (r, Ok(())) if *r == refused => 2,
        _ => fail(
            Category::WrongResult,
            format!(
                "account 0 held 10, enough for one transfer of 6: one of transfer(0, 1, 6) and transfer(0, 2, 6) \
                 must return Ok(()) and the other Err(InsufficientFunds), but they returned {first:?} and \
                 {second:?}"
            ),
        ),
    };
    let loser = 3 - winner;
    let got = balances(&bank, 3);
    let mut want = vec![Some(4), Some(0), Some(0)];
    want[winner] = Some(6);
    if got[loser] != Some(0) {
        fail(
            Category::WrongResult,
            format!(
                "transfer(0, {loser}, 6) was refused, yet account {loser} holds {:?}: a refused transfer must \
                 change no balance (balances {got:?}, expected {want:?})",
                got[loser]
            ),
        );
    }
    if got != want {
        fail(
            Category::LostUpdate,
            format!(
                "after transfer(0, {winner}, 6) succeeded and transfer(0, {loser}, 6) was refused, the balances \
                 are {got:?} instead of {want:?}"
            ),
        );
    }
}

hidden_tests! {
    fn explored_opposite_transfers_never_deadlock_in_any_schedule() {
        failing_means(Category::Deadlock);
        explore(
            "bank",
            "explored_opposite_transfers_never_deadlock_in_any_schedule",
            Budget::default(),
            "a transfer from account 0 to 1 and one from 1 to 0, started together, must both finish, whatever \
             the order in which the threads run. A transfer that locks its `from` account and then its `to` \
             account can leave one thread holding 0 and waiting for 1 while the other holds 1 and waits for 0: \
             neither ever lets go. Choose the order by account, not by the direction the money goes: lock the \
             lower index first (let (low, high) = if from < to { (from, to) } else { (to, from) };), in every \
             method that takes two locks or more. Once both are done, the balances must be exactly what the \
             two amounts say: a transfer that reads a balance, lets go of its lock and writes the balance back \
             later erases whatever the other transfer did to that account in between.",
            opposite_transfers_finish,
        );
    }

    fn explored_total_is_the_starting_sum_in_every_schedule() {
        failing_means(Category::Deadlock);
        explore(
            "bank",
            "explored_total_is_the_starting_sum_in_every_schedule",
            Budget::default(),
            "total() must return the starting sum even when it runs in the middle of a transfer, in every \
             schedule. If a transfer debits one account and credits the other under two separate locks, for a \
             moment the money is in neither; if total() adds the balances up one lock at a time, it can read \
             one account before a transfer and the other after it. Either way the sum describes a bank that \
             never existed. Hold both accounts' locks for the whole transfer, and have total() hold every \
             account's lock at once while it adds up, taking them lowest index first like transfer does (in \
             the opposite order, a total and a transfer each hold a lock the other waits for).",
            total_during_a_transfer,
        );
    }

    fn explored_two_transfers_never_spend_the_same_money_in_any_schedule() {
        failing_means(Category::CheckThenAct);
        explore(
            "bank",
            "explored_two_transfers_never_spend_the_same_money_in_any_schedule",
            Budget::default(),
            "when two transfers both want money that covers only one of them, exactly one may succeed, \
             whatever the order in which the threads run. Checking the balance under one lock (or through \
             balance()) and taking the money under another lets both threads pass the check before either \
             withdraws, and the account is spent twice. Check the funds and move the money while holding the \
             same two guards, and return InsufficientFunds before changing any balance.",
            one_of_two_withdrawals_succeeds,
        );
    }
}

fn main() {
    testkit::main(&[TESTS])
}
