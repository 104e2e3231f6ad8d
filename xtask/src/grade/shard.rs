//! `--shard I/N`: which submissions this run grades. Submissions are taken
//! in id order and dealt round-robin, so every shard of the same command
//! line gets a deterministic, balanced share, and together they grade each
//! submission exactly once.

use anyhow::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0-based.
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// From `--shard I/N`, or `--shard-count N` with the index from the
    /// environment of a Kubernetes Indexed Job or a Slurm job array.
    pub fn from_args(shard: Option<&str>, count: Option<usize>) -> Result<Shard> {
        let env = |k: &str| std::env::var(k).ok();
        Self::parse(shard, count, &env)
    }

    fn parse(shard: Option<&str>, count: Option<usize>, env: &dyn Fn(&str) -> Option<String>) -> Result<Shard> {
        let usage = |m: String| anyhow::Error::new(crate::exit::Usage(m));
        if let Some(text) = shard {
            let (i, n) =
                text.split_once('/').ok_or_else(|| usage(format!("--shard {text}: expected I/N, e.g. 2/3")))?;
            let (i, n): (usize, usize) = match (i.trim().parse(), n.trim().parse()) {
                (Ok(i), Ok(n)) => (i, n),
                _ => return Err(usage(format!("--shard {text}: expected I/N with whole numbers, e.g. 2/3"))),
            };
            if n == 0 || i == 0 || i > n {
                return Err(usage(format!("--shard {text}: I must be between 1 and N")));
            }
            return Ok(Shard { index: i - 1, count: n });
        }
        let Some(count) = count else { return Ok(Shard::ALL) };
        if count == 0 {
            return Err(usage("--shard-count must be at least 1".into()));
        }
        let index = if let Some(i) = env("JOB_COMPLETION_INDEX") {
            i.trim().parse::<usize>().map_err(|_| usage(format!("JOB_COMPLETION_INDEX={i} is not a number")))?
        } else if let Some(i) = env("SLURM_ARRAY_TASK_ID") {
            let id =
                i.trim().parse::<usize>().map_err(|_| usage(format!("SLURM_ARRAY_TASK_ID={i} is not a number")))?;
            let min = env("SLURM_ARRAY_TASK_MIN").and_then(|m| m.trim().parse::<usize>().ok()).unwrap_or(0);
            id.checked_sub(min).ok_or_else(|| usage(format!("SLURM_ARRAY_TASK_ID={id} is below its minimum {min}")))?
        } else {
            return Err(usage(
                "--shard-count needs JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID in the environment (or use --shard I/N)"
                    .into(),
            ));
        };
        if index >= count {
            return Err(usage(format!("shard index {index} is not below --shard-count {count}")));
        }
        Ok(Shard { index, count })
    }

    /// Whether the submission at `position` (in id order) is this shard's.
    pub fn includes(&self, position: usize) -> bool {
        position % self.count == self.index
    }

    /// `I/N` (1-based) when this is a real shard.
    pub fn label(&self) -> Option<String> {
        (self.count > 1).then(|| format!("{}/{}", self.index + 1, self.count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn shards_split_every_position_exactly_once() {
        let shards: Vec<Shard> =
            (1..=3).map(|i| Shard::parse(Some(&format!("{i}/3")), None, &no_env).unwrap()).collect();
        for pos in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.includes(pos)).count(), 1, "position {pos}");
        }
        assert_eq!(shards[1].label().as_deref(), Some("2/3"));
        assert_eq!(Shard::parse(None, None, &no_env).unwrap(), Shard::ALL);
    }

    #[test]
    fn bad_shards_are_usage_errors() {
        for bad in ["0/3", "4/3", "1/0", "x/3", "3"] {
            let e = Shard::parse(Some(bad), None, &no_env).unwrap_err();
            assert!(e.downcast_ref::<crate::exit::Usage>().is_some(), "{bad}");
        }
        assert!(Shard::parse(None, Some(3), &no_env).is_err(), "a count needs an index from the environment");
    }

    #[test]
    fn the_index_comes_from_kubernetes_or_slurm() {
        let k8s = |k: &str| (k == "JOB_COMPLETION_INDEX").then(|| "2".to_string());
        assert_eq!(Shard::parse(None, Some(3), &k8s).unwrap(), Shard { index: 2, count: 3 });
        let slurm = |k: &str| match k {
            "SLURM_ARRAY_TASK_ID" => Some("5".to_string()),
            "SLURM_ARRAY_TASK_MIN" => Some("4".to_string()),
            _ => None,
        };
        assert_eq!(Shard::parse(None, Some(3), &slurm).unwrap(), Shard { index: 1, count: 3 });
        let too_big = |k: &str| (k == "JOB_COMPLETION_INDEX").then(|| "3".to_string());
        assert!(Shard::parse(None, Some(3), &too_big).is_err());
    }
}
