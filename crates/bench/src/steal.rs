//! The hypervisor's steal time, read from /proc/stat: time in which the host kept this VM's
//! vCPUs from running although they had work, including a halted vCPU woken late (KVM counts
//! the time its vCPU thread waited on the host's run queue). On the shared 2-vCPU CI VM, some
//! first-token rounds stall for milliseconds with no system call or event in the guest. Counting
//! which rounds saw steal tells those stalls from time spent in ferrochat's code.
//!
//! /proc/stat counts in ticks of 10 ms (USER_HZ 100) converted from a nanosecond sum, so a
//! round whose window holds `s` ms of steal shows a tick with a chance of about `s / 10`: the
//! share of rounds with a tick, stalled against the others, is the comparison to read, not a
//! single round.

use std::time::Duration;

/// The `cpu` line of /proc/stat (all CPUs together), in ticks.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ticks {
    /// Steal: runnable, kept off the CPU by the host.
    pub steal: u64,
    /// Every state, steal included (user, nice, system, idle, iowait, irq, softirq, steal).
    pub total: u64,
}

impl Ticks {
    /// Now; zeros where /proc/stat cannot be read (not Linux), which reads as "no steal".
    pub fn now() -> Self {
        let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let fields: Vec<u64> = text
            .lines()
            .find(|l| l.starts_with("cpu "))
            .map(|l| {
                l.split_whitespace()
                    .skip(1)
                    .take(8)
                    .filter_map(|n| n.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        Ticks {
            steal: fields.get(7).copied().unwrap_or(0),
            total: fields.iter().sum(),
        }
    }

    /// The steal ticks since `earlier`.
    pub fn steal_since(self, earlier: Ticks) -> u64 {
        self.steal.saturating_sub(earlier.steal)
    }

    /// "X ms of Y ms of CPU time (Z%)" since `earlier`.
    pub fn share_since(self, earlier: Ticks) -> String {
        let steal = self.steal_since(earlier);
        let total = self.total.saturating_sub(earlier.total).max(1);
        format!(
            "{} ms of {} ms of CPU time ({:.2}%)",
            steal * 10,
            total * 10,
            steal as f64 * 100.0 / total as f64
        )
    }
}

/// Of rounds in order, with their way-to-the-upstream times `way_in` and steal ticks `steal`:
/// "stalled a/b, other c/d", the rounds with at least one steal tick among the stalls (over
/// `stalled_after`) and among the rest.
pub fn stalled_vs_other(way_in: &[Duration], steal: &[u64], stalled_after: Duration) -> String {
    let (mut stalled, mut stalled_stolen, mut other, mut other_stolen) = (0, 0, 0, 0);
    for (t, s) in way_in.iter().zip(steal) {
        if *t > stalled_after {
            stalled += 1;
            stalled_stolen += usize::from(*s > 0);
        } else {
            other += 1;
            other_stolen += usize::from(*s > 0);
        }
    }
    format!("stalled {stalled_stolen}/{stalled}, other {other_stolen}/{other}")
}

/// The indices of the rounds in which no path's window saw a steal tick (`per_path[p][round]`).
pub fn unstolen_rounds(per_path: &[&[u64]]) -> Vec<usize> {
    let rounds = per_path.iter().map(|p| p.len()).min().unwrap_or(0);
    (0..rounds)
        .filter(|&i| per_path.iter().all(|p| p[i] == 0))
        .collect()
}
