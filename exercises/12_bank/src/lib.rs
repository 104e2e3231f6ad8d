//! Exercise 12: a bank whose accounts many threads transfer between at once.
//!
//! Read `README.md` in this folder first. Then run `cargo xtask check bank`.

// TODO: you will need `std::sync::Mutex` (one per account is the lesson).

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
    // TODO: replace this placeholder with the accounts' balances and the
    // lock(s) that guard them.
    _private: (),
}

impl Bank {
    /// A bank with one account per entry of `balances`, account `i` holding
    /// `balances[i]`.
    pub fn new(balances: &[u64]) -> Bank {
        // TODO
        let _ = balances;
        todo!()
    }

    /// The balance of `account`, or `None` if there is no such account.
    pub fn balance(&self, account: usize) -> Option<u64> {
        // TODO
        let _ = account;
        todo!()
    }

    /// Moves `amount` atomically; never deadlocks, whatever transfers run at once.
    pub fn transfer(&self, from: usize, to: usize, amount: u64) -> Result<(), TransferError> {
        // TODO: check the indices first. Then hold both accounts' locks while
        // you check the balance and move the money, and take them in the same
        // order in every thread, whichever way the money goes.
        let _ = (from, to, amount);
        todo!()
    }

    /// The sum of all balances as of one instant: with transfers running, it
    /// always equals the starting sum.
    pub fn total(&self) -> u64 {
        // TODO: no transfer may be half-way through while you add up.
        todo!()
    }
}
