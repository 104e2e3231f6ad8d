//! Random sequences of calls on one thread, checked against a plain `Vec` of
//! balances.

use crate::support::{EFFORT, finishes};
use bank::{Bank, TransferError};
use proptest::collection::vec;
use proptest::prelude::*;
use testkit::prelude::*;

/// One call on the bank.
#[derive(Debug, Clone, Copy)]
enum Op {
    Transfer(usize, usize, u64),
    Balance(usize),
    Total,
}

/// Indices up to 6 on banks of at most 5 accounts, so that missing accounts
/// and same-account transfers come up often; amounts around the size of the
/// balances, so that both sides of the funds check do.
fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0usize..7, 0usize..7, 0u64..70).prop_map(|(f, t, a)| Op::Transfer(f, t, a)),
        1 => (0usize..7, 0u64..70).prop_map(|(a, amount)| Op::Transfer(a, a, amount)),
        1 => (0usize..7).prop_map(Op::Balance),
        1 => Just(Op::Total),
    ]
}

/// What a call returned.
#[derive(Debug, Clone, PartialEq)]
enum Returned {
    Transfer(Result<(), TransferError>),
    Balance(Option<u64>),
    Total(u64),
}

fn apply(bank: &Bank, op: Op) -> Returned {
    match op {
        Op::Transfer(from, to, amount) => Returned::Transfer(bank.transfer(from, to, amount)),
        Op::Balance(a) => Returned::Balance(bank.balance(a)),
        Op::Total => Returned::Total(bank.total()),
    }
}

/// The sequential model: what the call may return (more than one answer
/// where the contract does not say which error comes first), with the
/// balances changed as a successful transfer changes them.
fn model(balances: &mut [u64], op: Op) -> Vec<Returned> {
    use TransferError::*;
    let n = balances.len();
    match op {
        Op::Balance(a) => vec![Returned::Balance(balances.get(a).copied())],
        Op::Total => vec![Returned::Total(balances.iter().sum())],
        Op::Transfer(from, to, amount) => {
            let short = from < n && balances[from] < amount;
            let mut errors = Vec::new();
            if from >= n && to >= n {
                // Both missing: either may be named; a same index may also
                // be refused as the same account.
                errors.extend([NoSuchAccount(from), NoSuchAccount(to)]);
                if from == to {
                    errors.push(SameAccount);
                }
            } else if from >= n {
                errors.push(NoSuchAccount(from));
            } else if to >= n {
                errors.push(NoSuchAccount(to));
            } else if from == to {
                errors.push(SameAccount);
            } else if !short {
                balances[from] -= amount;
                balances[to] += amount;
                return vec![Returned::Transfer(Ok(()))];
            }
            if short || errors.is_empty() {
                errors.push(InsufficientFunds);
            }
            errors.into_iter().map(|e| Returned::Transfer(Err(e))).collect()
        }
    }
}

/// Far above what a correct bank needs (the cases stop after
/// `support::EFFORT` in any case); short enough to explain a deadlock.
const PROPERTY_DEADLINE: Duration = Duration::from_secs(6);

hidden_tests! {
    fn sequential_transfers_match_a_vec_model() {
        failing_means(Category::WrongResult);
        finishes("the sequential property", PROPERTY_DEADLINE, || {
            let deadline = Instant::now() + EFFORT;
            check_property(
                "sequential_transfers_match_a_vec_model",
                256,
                (vec(0u64..60, 0..=5), vec(op(), 0..40)),
                "one thread made these calls on Bank::new(&balances) and compared each result, and every balance \
                 after each call, with a plain Vec<u64> doing the same; they differ. On one thread the bank must \
                 behave exactly like the Vec: a transfer between two existing, different accounts moves the amount \
                 if `from` holds at least that much and otherwise returns Err(InsufficientFunds); a missing account \
                 gives Err(NoSuchAccount(that index)); from == to gives Err(SameAccount); and a refused transfer \
                 changes nothing.",
                |(start, ops)| {
                    if Instant::now() >= deadline {
                        return Ok(()); // a very slow bank gets fewer cases (see support::EFFORT)
                    }
                    let bank = Bank::new(&start);
                    let mut model_balances = start.clone();
                    for (i, &op) in ops.iter().enumerate() {
                        let before = model_balances.clone();
                        let allowed = model(&mut model_balances, op);
                        let got = apply(&bank, op);
                        prop_assert!(
                            allowed.contains(&got),
                            "call #{} {:?} on balances {:?} returned {:?}, expected {}",
                            i,
                            op,
                            before,
                            got,
                            allowed.iter().map(|r| format!("{r:?}")).collect::<Vec<_>>().join(" or ")
                        );
                        let now: Vec<Option<u64>> = (0..start.len()).map(|a| bank.balance(a)).collect();
                        let want: Vec<Option<u64>> = model_balances.iter().map(|&b| Some(b)).collect();
                        prop_assert_eq!(
                            &now, &want,
                            "after call #{} {:?} on balances {:?} (which returned {:?}), balance() gives {:?}, expected {:?}",
                            i, op, before, got, now, want
                        );
                    }
                    Ok(())
                },
            )
        });
    }
}
