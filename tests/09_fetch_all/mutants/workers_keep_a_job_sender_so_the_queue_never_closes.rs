//! MUTANT: a crossbeam job queue whose workers each hold a clone of the job Sender (to put work back), so the queue never closes, the workers never leave recv and fetch_all never returns.
//! CATEGORY: deadlock

use crossbeam_channel::unbounded;
use std::thread;

/// Calls `fetch` once per url, with at most `max_in_flight` calls running at
/// once, starting the next as soon as any one finishes (not in batches).
/// Returns the results in the order of `urls`. Panics if `max_in_flight` is 0.
pub fn fetch_all<T, E, F>(urls: &[&str], max_in_flight: usize, fetch: F) -> Vec<Result<T, E>>
where
    F: Fn(&str) -> Result<T, E> + Sync,
    T: Send,
    E: Send,
{
    assert!(max_in_flight > 0, "max_in_flight must be at least 1");
    let (job_tx, job_rx) = unbounded::<(usize, &str)>();
    let (result_tx, result_rx) = unbounded();
    for job in urls.iter().copied().enumerate() {
        job_tx.send(job).unwrap();
    }
    let fetch = &fetch;
    let mut slots: Vec<Option<Result<T, E>>> = (0..urls.len()).map(|_| None).collect();
    thread::scope(|scope| {
        for _ in 0..max_in_flight.min(urls.len()) {
            let (job_rx, result_tx) = (job_rx.clone(), result_tx.clone());
            // Kept "in case a job has to be requeued": this keeps the queue open.
            let _requeue = job_tx.clone();
            scope.spawn(move || {
                let _requeue = _requeue;
                for (i, url) in job_rx {
                    result_tx.send((i, fetch(url))).unwrap();
                }
            });
        }
        drop(job_tx);
        drop(result_tx);
        for _ in 0..urls.len() {
            let (i, result) = result_rx.recv().unwrap();
            slots[i] = Some(result);
        }
        // Leaving the scope joins the workers, which still wait for jobs.
    });
    slots.into_iter().map(Option::unwrap).collect()
}
