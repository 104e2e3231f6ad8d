//! MUTANT: total adds the balances up locking one account at a time, so it can see a transfer half-way and return a sum that never existed.
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
pub struct Bank {
    accounts: Vec<Mutex<u64>>,
}

impl Bank {
    /// A bank with one account per entry of `balances`.
    pub fn new(balances: &[u64]) -> Bank {
        Bank { accounts: balances.iter().map(|&b| Mutex::new(b)).collect() }
    }

    fn lock(&self, account: usize) -> MutexGuard<'_, u64> {
        self.accounts[account].lock().unwrap()
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
        if to >= n {
            return Err(TransferError::NoSuchAccount(to));
        }
        if from == to {
            return Err(TransferError::SameAccount);
        }
        let (low, high) = if from < to { (from, to) } else { (to, from) };
        let mut low_guard = self.lock(low);
        let mut high_guard = self.lock(high);
        let (from_balance, to_balance) =
            if from == low { (&mut *low_guard, &mut *high_guard) } else { (&mut *high_guard, &mut *low_guard) };
        if *from_balance < amount {
            return Err(TransferError::InsufficientFunds);
        }
        *from_balance -= amount;
        *to_balance += amount;
        Ok(())
    }

    /// The sum of all balances as of one instant.
    pub fn total(&self) -> u64 {
        (0..self.accounts.len()).map(|i| *self.lock(i)).sum()
    }
}
