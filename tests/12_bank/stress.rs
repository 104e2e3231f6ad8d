//! Many threads on one bank at once, released together by a Barrier, with
//! exact balances checked after every round, and a watchdog that reports a
//! deadlock instead of hanging.
//!
//! Each race or deadlock these tests look for lives in a window a few
//! instructions wide, so one round proves little: each test runs rounds until
//! one breaks its invariant, or the round budget (or `support::EFFORT`) is
//! spent. The budgets are several times what the wrong banks in `mutants/`
//! needed to be caught in every one of many runs on a loaded 2-core machine.
//!
//! Measured (load average 13-21 on 2 cores, about a third of the runs with
//! the process pinned to one core; the round in which the mutant was
//! caught): locks_from_then_to 1-3 in 25 runs (budget 20);
//! total_reads_one_account_at_a_time and transfer_never_holds_both_locks 1-6
//! in 36 runs, total_locks_in_reverse_order 1-2 (budget 40);
//! checks_funds_then_withdraws_under_another_lock 1-25 in 30 runs (budget
//! 120); credit_writes_back_a_stale_balance 1-7 in 30 runs (budget 40).
//! Long rounds are what make these numbers small: with 5 000 instead of
//! 20 000 transfers per thread, the lock-order deadlock needed up to 31
//! rounds. The overdraft race is rarer per round, so its rounds are short.

use crate::support::{EFFORT, LOCK_ORDER_ADVICE, Rng, RoundFailure, Worker, balances, finishes, watched_round};
use bank::{Bank, TransferError};
use testkit::prelude::*;

/// A stress test's own deadline: the rounds stop after `EFFORT`, a stuck
/// round is reported after `support::STALL`; this is for the reads after a
/// round, which should take microseconds.
const TEST_DEADLINE: Duration = Duration::from_secs(9);

const OPPOSITE_ROUNDS: usize = 20;
const OPPOSITE_CALLS: usize = 20_000;

const TOTAL_ROUNDS: usize = 40;
const TOTAL_ACCOUNTS: usize = 8;
const TOTAL_START: u64 = 1_000;
const TOTAL_TRANSFERS: usize = 5_000;

const OVERDRAFT_ROUNDS: usize = 120;
const OVERDRAFT_THREADS: usize = 4;
const OVERDRAFT_AMOUNT: u64 = 3;
const OVERDRAFT_SOURCES: usize = 16;
/// Each source account covers exactly this many transfers of the amount.
const OVERDRAFT_COVERED: usize = 400;

const MONEY_ROUNDS: usize = 40;
const MONEY_THREADS: usize = 4;
const MONEY_ACCOUNTS: usize = 4;
const MONEY_START: u64 = 100;
const MONEY_TRANSFERS: usize = 5_000;

/// How the total()-while-transferring test failed.
enum TotalFailure {
    /// A total() returned `got` (the `nth` of its round).
    Torn { round: usize, nth: usize, got: u64, checked: usize },
    /// The balances after the round are not what the transfers made.
    Money { round: usize, got: Vec<Option<u64>>, want: Vec<i128> },
    /// The round got stuck or a thread panicked.
    Round { round: usize, checked: usize, failure: RoundFailure },
}

/// Net change per account from the transfers one thread saw succeed.
fn apply(net: &mut [i128], from: usize, to: usize, amount: u64) {
    net[from] -= amount as i128;
    net[to] += amount as i128;
}

/// The balances that the starting ones plus every thread's net changes
/// must give. A negative one means the transfers that returned Ok took more
/// than the account ever held.
fn expected(start: &[u64], nets: &[Vec<i128>]) -> Vec<i128> {
    (0..start.len()).map(|a| start[a] as i128 + nets.iter().map(|n| n[a]).sum::<i128>()).collect()
}

/// Whether `balance()` gave exactly the `want`ed balances.
fn same(got: &[Option<u64>], want: &[i128]) -> bool {
    got.len() == want.len() && got.iter().zip(want).all(|(g, &w)| g.map(i128::from) == Some(w))
}

/// Balances as `[3, 0, None]`, for failure messages.
fn show(balances: &[Option<u64>]) -> String {
    let shown: Vec<String> = balances.iter().map(|b| b.map_or("None".to_string(), |b| b.to_string())).collect();
    format!("[{}]", shown.join(", "))
}

/// Expected balances as `[3, 0, -4]`, for failure messages.
fn show_i128(balances: &[i128]) -> String {
    let shown: Vec<String> = balances.iter().map(|b| b.to_string()).collect();
    format!("[{}]", shown.join(", "))
}

hidden_tests! {
    fn opposite_transfers_never_deadlock() {
        failing_means(Category::LostUpdate);
        // Thread i moves 1 at a time from account i % 2 to the other one, so
        // half the threads go 0 -> 1 while the other half go 1 -> 0. Rounds
        // use 2, 3 or 4 threads.
        let outcome = finishes("the opposite-transfer rounds", TEST_DEADLINE, || {
            let deadline = Instant::now() + EFFORT;
            for round in 1..=OPPOSITE_ROUNDS {
                let threads = 2 + round % 3;
                let start = (threads * OPPOSITE_CALLS) as u64;
                let bank = Arc::new(Bank::new(&[start, start]));
                let work = move |w: &Worker| {
                    let (from, to) = (w.index % 2, 1 - w.index % 2);
                    let mut made = 0;
                    while made < OPPOSITE_CALLS && w.go_on() {
                        if let Err(e) = w.transfer(from, to, 1) {
                            return Err(format!(
                                "transfer({from}, {to}, 1) returned Err({e:?}), but each account started with {start}, \
                                 enough for every transfer of the round"
                            ));
                        }
                        made += 1;
                    }
                    Ok(made)
                };
                let made = match watched_round(&bank, threads, deadline, work) {
                    Ok(made) => made,
                    Err(failure) => return Err((round, threads, failure.observed(), failure.is_stuck())),
                };
                let made: Vec<usize> = match made.into_iter().collect() {
                    Ok(made) => made,
                    Err(why) => return Err((round, threads, why, false)),
                };
                let mut net = vec![0i128; 2];
                for (t, &m) in made.iter().enumerate() {
                    apply(&mut net, t % 2, 1 - t % 2, m as u64);
                }
                let want = expected(&[start, start], &[net]);
                let got = balances(&bank, 2);
                if !same(&got, &want) {
                    return Err((round, threads, format!(
                        "the threads made {made:?} transfers of 1 each (thread i from account i % 2 to the other), \
                         so the balances must be {}, but balance() gives {}", show_i128(&want), show(&got)
                    ), false));
                }
                if Instant::now() >= deadline {
                    break;
                }
            }
            Ok(())
        });
        if let Err((round, threads, why, stuck)) = outcome {
            if stuck {
                failing_means(Category::Deadlock);
                panic!(
                    "deadlock: in round {round}, {threads} threads moved money between accounts 0 and 1 in opposite \
                     directions, and {why}. This is the classic lock-order deadlock: a transfer 0 -> 1 that locks its \
                     `from` account first holds 0 and waits for 1, while a transfer 1 -> 0 holds 1 and waits for 0, \
                     and neither can ever go on. Take the two locks in one fixed order whatever the direction of the \
                     transfer: the lower account index first, then the higher."
                );
            }
            panic!(
                "in round {round}, {threads} threads moved money between accounts 0 and 1 in opposite directions, and \
                 {why}. Each transfer must check and move the money while it holds both accounts' locks."
            );
        }
    }

    fn total_is_the_starting_sum_while_transfers_run() {
        // Thread 0 calls total() in a loop while threads 1..=3 make random
        // transfers between 8 accounts; every total must be the starting sum.
        failing_means(Category::LostUpdate);
        let sum = TOTAL_START * TOTAL_ACCOUNTS as u64;
        let outcome = finishes("the total()-while-transferring rounds", TEST_DEADLINE, move || {
            let deadline = Instant::now() + EFFORT;
            let start = [TOTAL_START; TOTAL_ACCOUNTS];
            let mut checked = 0usize;
            for round in 1..=TOTAL_ROUNDS {
                let bank = Arc::new(Bank::new(&start));
                let transferring = Arc::new(AtomicUsize::new(3));
                // Thread 0 returns (totals checked, the first wrong one and its
                // number); the others, their net changes per account.
                let work = move |w: &Worker| {
                    if w.index == 0 {
                        let (mut checked, mut wrong) = (0usize, None);
                        loop {
                            // Read before the call, so the last total checked
                            // may still overlap the last transfer.
                            let running = transferring.load(Ordering::SeqCst) > 0;
                            let t = w.total();
                            checked += 1;
                            if t != sum && wrong.is_none() {
                                wrong = Some((checked, t));
                            }
                            if !running || !w.go_on() {
                                break;
                            }
                        }
                        return (checked, wrong, Vec::new());
                    }
                    let mut rng = Rng::new(round, w.index);
                    let mut net = vec![0i128; TOTAL_ACCOUNTS];
                    for _ in 0..TOTAL_TRANSFERS {
                        if !w.go_on() {
                            break;
                        }
                        let (from, to) = rng.two_accounts(TOTAL_ACCOUNTS);
                        let amount = 1 + rng.below(50);
                        if w.transfer(from, to, amount).is_ok() {
                            apply(&mut net, from, to, amount);
                        }
                    }
                    transferring.fetch_sub(1, Ordering::SeqCst);
                    (0, None, net)
                };
                let results = match watched_round(&bank, 4, deadline, work) {
                    Ok(results) => results,
                    Err(failure) => return Err(TotalFailure::Round { round, checked, failure }),
                };
                checked += results[0].0;
                if let Some((nth, got)) = results[0].1 {
                    return Err(TotalFailure::Torn { round, nth, got, checked });
                }
                let nets: Vec<Vec<i128>> = results.into_iter().skip(1).map(|r| r.2).collect();
                let want = expected(&start, &nets);
                let got = balances(&bank, TOTAL_ACCOUNTS);
                if !same(&got, &want) {
                    return Err(TotalFailure::Money { round, got, want });
                }
                if Instant::now() >= deadline {
                    break;
                }
            }
            Ok(())
        });
        let setting = "thread 0 called total() over and over while 3 threads made random transfers between 8 \
                       accounts";
        match outcome {
            Ok(()) => {}
            Err(TotalFailure::Torn { round, nth, got, checked }) => panic!(
                "in round {round}, {setting} holding {sum} in all, and total() call number {nth} of the round \
                 returned {got}, not {sum} ({checked} totals checked in all). Transfers only move money, so the sum \
                 as of any one instant never changes. A total that locks one account, reads it and lets it go \
                 before the next sees transfers half-way: money already taken from an account it has not read yet \
                 and given to one it has already read, or the reverse; and a transfer that lets go of one account \
                 before it has locked the other has money in flight that no account holds. Hold every account's \
                 lock at once while you add up (taking them lowest index first, as transfer does), and make each \
                 transfer debit and credit while it holds both of its locks."
            ),
            Err(TotalFailure::Money { round, got, want }) => panic!(
                "in round {round}, {setting}; afterwards balance() gives {}, but the starting balances plus the \
                 transfers that returned Ok give {}: money was created or lost. A transfer must read, check and \
                 write both balances while it holds both accounts' locks.",
                show(&got),
                show_i128(&want)
            ),
            Err(TotalFailure::Round { round, checked, failure }) if failure.is_stuck() => {
                failing_means(Category::Deadlock);
                panic!(
                    "deadlock: in round {round}, {setting} ({checked} totals checked before this round), and {}. \
                     {LOCK_ORDER_ADVICE}",
                    failure.observed()
                )
            }
            Err(TotalFailure::Round { round, checked, failure }) => panic!(
                "in round {round}, {setting} ({checked} totals checked before this round), and {}",
                failure.observed()
            ),
        }
    }

    fn exactly_as_many_withdrawals_succeed_as_the_balance_covers() {
        // Accounts 0 to OVERDRAFT_SOURCES - 1 each hold exactly
        // OVERDRAFT_COVERED transfers of OVERDRAFT_AMOUNT. The threads empty
        // them one after another, all together: each thread keeps moving the
        // amount from the current source to its own account until it is
        // refused, then goes on to the next source. So every round has many
        // moments at which all the threads race for the last of one account.
        failing_means(Category::CheckThenAct);
        let outcome = finishes("the overdraft rounds", TEST_DEADLINE, || {
            let deadline = Instant::now() + EFFORT;
            let mut start = vec![0u64; OVERDRAFT_SOURCES + OVERDRAFT_THREADS];
            start[..OVERDRAFT_SOURCES].fill(OVERDRAFT_COVERED as u64 * OVERDRAFT_AMOUNT);
            for round in 1..=OVERDRAFT_ROUNDS {
                let bank = Arc::new(Bank::new(&start));
                // Each thread returns, per source, (succeeded, refused), and
                // the first other error it saw.
                let work = move |w: &Worker| {
                    let mut seen = vec![(0usize, 0usize); OVERDRAFT_SOURCES];
                    let mut other = None;
                    let sink = OVERDRAFT_SOURCES + w.index;
                    for (source, tally) in seen.iter_mut().enumerate() {
                        // A bank that never refuses would keep a thread here
                        // forever; twice what the source covers is plenty.
                        for _ in 0..2 * OVERDRAFT_COVERED {
                            if !w.go_on() {
                                break;
                            }
                            match w.transfer(source, sink, OVERDRAFT_AMOUNT) {
                                Ok(()) => tally.0 += 1,
                                Err(TransferError::InsufficientFunds) => {
                                    tally.1 += 1;
                                    break;
                                }
                                Err(e) => {
                                    other.get_or_insert((source, sink, e));
                                    break;
                                }
                            }
                        }
                    }
                    (seen, other)
                };
                let setting = format!(
                    "in round {round}, {OVERDRAFT_THREADS} threads moved {OVERDRAFT_AMOUNT} at a time out of accounts \
                     0 to {}, one account after another, each of which held enough for exactly {OVERDRAFT_COVERED} \
                     transfers",
                    OVERDRAFT_SOURCES - 1,
                );
                let results = match watched_round(&bank, OVERDRAFT_THREADS, deadline, work) {
                    Ok(results) => results,
                    Err(failure) if failure.is_stuck() => {
                        failing_means(Category::Deadlock);
                        panic!("deadlock: {setting}, and {}. {LOCK_ORDER_ADVICE}", failure.observed())
                    }
                    Err(failure) => {
                        return Err(format!(
                            "{setting}, and {}. A panic here (\"attempt to subtract with overflow\") means a \
                             transfer took money the account no longer had: it passed the balance check, and another \
                             transfer spent the money before it debited",
                            failure.observed()
                        ));
                    }
                };
                if let Some((from, to, e)) = results.iter().find_map(|r| r.1.clone()) {
                    failing_means(Category::WrongResult);
                    return Err(format!(
                        "{setting}; transfer({from}, {to}, {OVERDRAFT_AMOUNT}) between existing, different accounts \
                         returned Err({e:?}), but only Ok or Err(InsufficientFunds) are possible here"
                    ));
                }
                // Each source ends with what its successes left, and thread
                // t's account with what thread t saw succeed. Once a source
                // refused a transfer, exactly OVERDRAFT_COVERED were taken
                // from it. (A round cut short by the effort budget may not
                // have emptied every source.)
                let got = balances(&bank, start.len());
                let mut want: Vec<i128> = Vec::new();
                for s in 0..OVERDRAFT_SOURCES {
                    let ok: usize = results.iter().map(|r| r.0[s].0).sum();
                    let refused: usize = results.iter().map(|r| r.0[s].1).sum();
                    want.push((OVERDRAFT_COVERED as i128 - ok as i128) * OVERDRAFT_AMOUNT as i128);
                    if ok > OVERDRAFT_COVERED || refused > 0 && ok != OVERDRAFT_COVERED {
                        return Err(format!(
                            "{setting}. Of the {} transfers from account {s}, which held {}, {ok} succeeded and \
                             {refused} were refused: exactly {OVERDRAFT_COVERED} must succeed and the rest get \
                             Err(InsufficientFunds), leaving it at 0; balance({s}) is {:?}",
                            ok + refused,
                            start[s],
                            got[s]
                        ));
                    }
                }
                want.extend(results.iter().map(|r| {
                    r.0.iter().map(|&(ok, _)| ok as i128).sum::<i128>() * OVERDRAFT_AMOUNT as i128
                }));
                if !same(&got, &want) {
                    return Err(format!(
                        "{setting}; afterwards balance() gives {}, but the transfers that returned Ok give {}",
                        show(&got),
                        show_i128(&want)
                    ));
                }
                if Instant::now() >= deadline {
                    break;
                }
            }
            Ok(())
        });
        if let Err(why) = outcome {
            panic!(
                "{why}. An overdraft like this comes from checking the balance under one lock acquisition and \
                 withdrawing under another (say, calling self.balance(from) and then locking to debit): two \
                 threads both see enough money for one more transfer, and both take it. Check the balance and \
                 debit it while holding the same guard."
            );
        }
    }

    fn concurrent_transfers_neither_create_nor_lose_money() {
        // Four threads make random transfers between four small accounts, so
        // that many are refused; every balance must end exactly where the
        // transfers that returned Ok put it.
        failing_means(Category::LostUpdate);
        let outcome = finishes("the random-transfer rounds", TEST_DEADLINE, || {
            let deadline = Instant::now() + EFFORT;
            let start = [MONEY_START; MONEY_ACCOUNTS];
            for round in 1..=MONEY_ROUNDS {
                let bank = Arc::new(Bank::new(&start));
                let work = move |w: &Worker| {
                    let mut rng = Rng::new(round, w.index);
                    let (mut net, mut made, mut other) = (vec![0i128; MONEY_ACCOUNTS], 0usize, None);
                    for _ in 0..MONEY_TRANSFERS {
                        if !w.go_on() {
                            break;
                        }
                        let (from, to) = rng.two_accounts(MONEY_ACCOUNTS);
                        let amount = 1 + rng.below(20);
                        match w.transfer(from, to, amount) {
                            Ok(()) => apply(&mut net, from, to, amount),
                            Err(TransferError::InsufficientFunds) => {}
                            Err(e) => {
                                other.get_or_insert((from, to, amount, e));
                            }
                        }
                        made += 1;
                    }
                    (net, made, other)
                };
                let results = match watched_round(&bank, MONEY_THREADS, deadline, work) {
                    Ok(results) => results,
                    Err(failure) if failure.is_stuck() => {
                        failing_means(Category::Deadlock);
                        panic!(
                            "deadlock: in round {round}, {MONEY_THREADS} threads made random transfers between \
                             {MONEY_ACCOUNTS} accounts, and {}. {LOCK_ORDER_ADVICE}",
                            failure.observed()
                        )
                    }
                    Err(failure) => return Err(format!("in round {round}, {}", failure.observed())),
                };
                if let Some((from, to, amount, e)) = results.iter().find_map(|r| r.2.clone()) {
                    failing_means(Category::WrongResult);
                    return Err(format!(
                        "in round {round}, transfer({from}, {to}, {amount}) between existing, different accounts \
                         returned Err({e:?}); only Ok or Err(InsufficientFunds) are possible here"
                    ));
                }
                let calls: usize = results.iter().map(|r| r.1).sum();
                let nets: Vec<Vec<i128>> = results.into_iter().map(|r| r.0).collect();
                let want = expected(&start, &nets);
                let got = balances(&bank, MONEY_ACCOUNTS);
                let total = bank.total();
                let sum = MONEY_START * MONEY_ACCOUNTS as u64;
                if !same(&got, &want) || total != sum {
                    return Err(format!(
                        "in round {round}, {MONEY_THREADS} threads made {calls} random transfers between {MONEY_ACCOUNTS} \
                         accounts of {MONEY_START}; the starting balances plus the transfers that returned Ok give \
                         {}, but balance() gives {} and total() {total} (it must stay {sum}): money was {}",
                        show_i128(&want),
                        show(&got),
                        match got.iter().map(|b| b.unwrap_or(0)).sum::<u64>() {
                            s if s > sum => "created",
                            s if s < sum => "lost",
                            _ => "moved where no transfer put it",
                        }
                    ));
                }
                if Instant::now() >= deadline {
                    break;
                }
            }
            Ok(())
        });
        if let Err(why) = outcome {
            panic!(
                "{why}. Each transfer must read, check and write both balances while it holds both accounts' locks: \
                 a balance read under one lock acquisition and written back under another overwrites what other \
                 transfers did in between (a lost update), and money given before the check is not taken back \
                 when the check fails."
            );
        }
    }
}
