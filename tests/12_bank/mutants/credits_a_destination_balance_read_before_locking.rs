//! MUTANT: transfer validates `to` by reading its balance through balance() before it takes the two locks, then writes that early balance plus the amount under them, erasing any transfer into or out of `to` that ran in between (a lost update in a window a few instructions wide; no total() ever sees a transfer half-way).
//! CATEGORY: lost_update

use std::sync::{Mutex, MutexGuard};

/// Why a transfer was refused. A refused transfer changes no balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferError {
    /// There is no account with this index.
    NoSuchAccount(usize),
    /// The `from` account holds less than the amount.
    InsufficientFunds,
    /// `from` and `to` are the same account.
    SameAccount,
}

/// Accounts that many threads transfer between at once. Send + Sync.
///
/// Each balance lives inside its own Mutex. A transfer locks only the two
/// accounts it touches, so transfers between other accounts go on at the
/// same time; one big lock around every balance would be correct too, but
/// would make every transfer wait for every other.
#[derive(Debug)]
pub struct Bank {
    accounts: Vec<Mutex<u64>>,
}

impl Bank {
    /// A bank with one account per entry of `balances`, account `i` holding
    /// `balances[i]`.
    pub fn new(balances: &[u64]) -> Bank {
        Bank { accounts: balances.iter().map(|&b| Mutex::new(b)).collect() }
    }

    /// Locks one account. Nothing here panics while it holds a lock half-way
    /// through a change (the funds are checked before the subtraction, and
    /// a credit cannot overflow while all the money fits in a u64), so a
    /// poisoned balance is still a good one and we carry on with it rather
    /// than turning one panic into a panic in every thread.
    fn lock(&self, account: usize) -> MutexGuard<'_, u64> {
        self.accounts[account].lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The balance of `account`, or `None` if there is no such account.
    pub fn balance(&self, account: usize) -> Option<u64> {
        (account < self.accounts.len()).then(|| *self.lock(account))
    }

    /// Moves `amount` atomically; never deadlocks, whatever transfers run at once.
    pub fn transfer(&self, from: usize, to: usize, amount: u64) -> Result<(), TransferError> {
        let n = self.accounts.len();
        if from >= n {
            return Err(TransferError::NoSuchAccount(from));
        }
        let Some(to_before) = self.balance(to) else {
            return Err(TransferError::NoSuchAccount(to));
        };
        // std's Mutex is not re-entrant: locking the same account twice
        // below would wait for ourselves forever. So this check comes before
        // any lock.
        if from == to {
            return Err(TransferError::SameAccount);
        }

        // The lock order. Two threads moving money a -> b and b -> a that
        // each locked `from` first could each hold one lock and wait for the
        // other's forever. Taking the lower index first, whatever the
        // direction, means a thread only ever waits for a lock above every
        // lock it holds, so no cycle of waiting threads can form.
        let (low, high) = if from < to { (from, to) } else { (to, from) };
        let mut low_guard = self.lock(low);
        let mut high_guard = self.lock(high);
        let (from_balance, to_balance) =
            if from == low { (&mut *low_guard, &mut *high_guard) } else { (&mut *high_guard, &mut *low_guard) };

        // Check and move under the same two guards: no other transfer can
        // spend this money between the check and the debit, and no reader can
        // see it gone from one account and not yet in the other.
        if *from_balance < amount {
            return Err(TransferError::InsufficientFunds);
        }
        *from_balance -= amount;
        *to_balance = to_before + amount;
        Ok(())
        // The guards drop here, in reverse order; the order of unlocking
        // does not matter for deadlock, only the order of locking does.
    }

    /// The sum of all balances as of one instant: with transfers running, it
    /// always equals the starting sum.
    pub fn total(&self) -> u64 {
        // Adding up while letting go of each lock in turn could count a
        // transfer's money twice (read `to` after the credit and `from`
        // before the debit) or not at all. Holding every lock at once makes
        // the sum a snapshot: no transfer is half-way through. They are taken
        // in the same order as in `transfer`, lowest index first, so a
        // transfer and a total can never wait for each other in a circle.
        let guards: Vec<MutexGuard<'_, u64>> = (0..self.accounts.len()).map(|i| self.lock(i)).collect();
        guards.iter().map(|balance| **balance).sum()
    }
}
