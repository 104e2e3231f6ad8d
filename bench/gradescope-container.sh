#!/usr/bin/env bash
# Grades as Gradescope would, in a container its size: the Gradescope
# bundle's run_autograder, inside a cgroup with a CPU quota of half a core
# and a 768 MiB memory limit (Gradescope's default autograder container),
# on two submissions: the reference solutions, and one with a realistic
# mistake in every exercise (the mutants listed below). Prints one line per
# run, with the wall time, the score and what the results say was cut short,
# then the spread of each submission's scores.
#
# usage: bench/gradescope-container.sh [--runs N] [--solution-runs N] [--cpus C] [--memory M] [WORK]
#   --runs N           runs of the every-mistake submission (default 3)
#   --solution-runs N  runs of the solutions (default 5)
#   --cpus C           the CPU quota, in cores (default 0.5)
#   --memory M         the memory limit, in MiB (default 768)
#   WORK               scratch folder (default target/threadwork/gradescope-container)
#
# Needs root (it makes cgroups). The bundle is set up once outside the
# cgroup, as Gradescope does when it builds the image (setup.sh's prepare
# step, reusing this checkout's build cache); only run_autograder is timed.
set -euo pipefail
runs=3 solution_runs=5 cpus=0.5 memory=768
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=$2; shift 2 ;;
        --solution-runs) solution_runs=$2; shift 2 ;;
        --cpus) cpus=$2; shift 2 ;;
        --memory) memory=$2; shift 2 ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
        *) break ;;
    esac
done
course="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$course/target/threadwork/gradescope-container}"
if [ "$(id -u)" != 0 ]; then
    echo "gradescope-container.sh: this needs root, to make the cgroup that limits CPU and memory; run it with sudo" >&2
    exit 1
fi

# One mistake per exercise: the lesson's own race where it has one.
mistakes=(
    01_send_all/waits_on_an_atomic_count_and_misses_the_last_wakeup
    02_wait_group/lost_wakeup_unlocks_between_check_and_sleep
    03_spawn_senders/loop_variable_shared_with_the_threads
    04_counter/lost_update_in_increment
    05_atomic_counter/increment_below_checks_then_adds
    06_counter_actor/value_reads_a_snapshot_the_owner_updates_after_counting
    07_cancellable_worker/drains_the_queue_before_checking_cancel
    08_worker_pool/queue_lock_held_while_the_job_runs
    09_fetch_all/semaphore_lets_one_fetch_too_many_in
    10_first_response/forgets_to_cancel_so_the_scope_waits_for_the_slowest_mirror
    11_pipeline/results_in_completion_order
    12_bank/locks_from_then_to
    13_letter_frequency/shared_static_tally
)

# The cgroup: v2 where the unified hierarchy has the cpu controller, v1's
# cpu and memory hierarchies otherwise.
quota=$(awk -v c="$cpus" 'BEGIN { printf "%d", c * 100000 }')
bytes=$((memory * 1024 * 1024))
name="threadwork-gradescope-$$"
enter=()
if grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
    dir=/sys/fs/cgroup/$name
    mkdir "$dir"
    echo "$quota 100000" >"$dir/cpu.max"
    echo "$bytes" >"$dir/memory.max"
    echo 0 >"$dir/memory.swap.max" 2>/dev/null || true
    enter=("$dir/cgroup.procs")
    cleanup() { rmdir "$dir" 2>/dev/null || true; }
elif [ -d /sys/fs/cgroup/cpu ] && [ -d /sys/fs/cgroup/memory ]; then
    mkdir /sys/fs/cgroup/cpu/"$name" /sys/fs/cgroup/memory/"$name"
    echo 100000 >/sys/fs/cgroup/cpu/"$name"/cpu.cfs_period_us
    echo "$quota" >/sys/fs/cgroup/cpu/"$name"/cpu.cfs_quota_us
    echo "$bytes" >/sys/fs/cgroup/memory/"$name"/memory.limit_in_bytes
    echo "$bytes" >/sys/fs/cgroup/memory/"$name"/memory.memsw.limit_in_bytes 2>/dev/null || true
    enter=(/sys/fs/cgroup/cpu/"$name"/cgroup.procs /sys/fs/cgroup/memory/"$name"/cgroup.procs)
    cleanup() { rmdir /sys/fs/cgroup/cpu/"$name" /sys/fs/cgroup/memory/"$name" 2>/dev/null || true; }
else
    echo "gradescope-container.sh: no cgroup cpu and memory controllers found under /sys/fs/cgroup" >&2
    exit 1
fi
trap cleanup EXIT

echo "setting up the bundle in $work (outside the limits, as Gradescope's image build does)" >&2
rm -rf "$work/autograder"
mkdir -p "$work/autograder/source" "$work/submissions"
(cd "$course" && cargo xtask gradescope-bundle --out "$work/autograder.zip" >&2)
(cd "$work/autograder/source" && python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(".")' "$work/autograder.zip")
chmod +x "$work/autograder/source/run_autograder" "$work/autograder/source/setup.sh" "$work/autograder/source/deploy/prepare.sh"
cp "$work/autograder/source/run_autograder" "$work/autograder/run_autograder"
# This checkout's build folder: its dependencies are already compiled.
export THREADWORK_TARGET_DIR="$course/target/threadwork/target"
(cd "$work/autograder/source" && deploy/prepare.sh >&2)

make_submission() { # NAME, then EXERCISE/FILE pairs to lay over the stubs
    local sub="$work/submissions/$1"
    shift
    rm -rf "$sub"
    mkdir -p "$sub/exercises"
    for pair in "$@"; do
        mkdir -p "$sub/exercises/${pair%%=*}/src"
        cp "${pair#*=}" "$sub/exercises/${pair%%=*}/src/lib.rs"
    done
}
solution_files=()
for dir in "$course"/solutions/*/; do
    ex=$(basename "$dir")
    solution_files+=("$ex=$dir/src/lib.rs")
done
make_submission solutions "${solution_files[@]}"
mistake_files=()
for m in "${mistakes[@]}"; do
    mistake_files+=("${m%%/*}=$course/tests/${m%%/*}/mutants/${m#*/}.rs")
done
make_submission every-mistake "${mistake_files[@]}"

grade() { # SUBMISSION RUN
    rm -rf "$work/autograder/submission" "$work/autograder/results"
    cp -r "$work/submissions/$1" "$work/autograder/submission"
    local started ended status
    started=$(date +%s.%N)
    set +e
    rm -rf "$work/$1.$2.reports"
    THREADWORK_REPORT_DIR="$work/$1.$2.reports" AUTOGRADER_ROOT="$work/autograder" bash -c '
        for procs in "$@"; do echo $$ >"$procs"; done
        exec "$AUTOGRADER_ROOT/run_autograder"' limited "${enter[@]}" >"$work/$1.$2.log" 2>&1
    status=$?
    set -e
    ended=$(date +%s.%N)
    python3 - "$work/autograder/results/results.json" "$1" "$2" "$status" "$started" "$ended" "$work/$1.$2.reports/report.json" <<'EOF'
import json, sys
path, sub, run, status, started, ended, report = sys.argv[1:]
wall = float(ended) - float(started)
try:
    results = json.load(open(path))
except OSError:
    print(f"{sub:14} run {run}  {wall:7.1f} s  no results (run_autograder exited {status}; see its log)")
    sys.exit(0)
score = results["score"]
top = results["extra_data"]["max_score"]
cut = "cut short" if "ran out of time" in results.get("output", "") else ""
try:
    graded = json.load(open(report))["submissions"][0]
    split = f"(first runs {graded['seconds'] - graded['confirm_seconds']:.0f} s, confirmation {graded['confirm_seconds']:.0f} s)"
except (OSError, KeyError, IndexError):
    split = ""
print(f"{sub:14} run {run}  {wall:7.1f} s  {score:g} / {top:g}  {split} {cut}")
EOF
}

echo "limits: $cpus CPU, $memory MiB; each line is one run_autograder" >&2
{
    for run in $(seq 1 "$runs"); do grade every-mistake "$run"; done
    for run in $(seq 1 "$solution_runs"); do grade solutions "$run"; done
} | tee "$work/runs.txt"
echo
awk '{ key = $1; score[key] = score[key] " " $6; if ($4 > worst[key]) worst[key] = $4 }
     END { for (k in score) printf "%s: scores%s; slowest run %.1f s\n", k, score[k], worst[k] }' "$work/runs.txt"
