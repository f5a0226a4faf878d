"""A real single-node Slurm cluster for the tests: munged, slurmctld, slurmd.

Debian's slurm-wlm and munge (``make slurm-tools`` installs them). Everything
the daemons write (state, spool, logs, the job completion log, munge's key and
socket) lives under one folder; the one file outside it is
``/etc/slurm/slurm.conf``. Snakemake's slurm-jobstep plugin clears every
``SLURM_*`` variable, ``SLURM_CONF`` included, before the ``srun`` inside a
job, so the config must sit where ``srun`` looks by default. The cluster
writes it only where no Slurm is configured, marks it as its own and removes
it on stop.

Accounting: no slurmdbd. The executor plugin reads job states with ``squeue``
(``--slurm-status-command squeue``, with ``MinJobAge`` at 600 s so finished
jobs stay listed); every job Slurm ran is written by ``jobcomp/filetxt`` to
``jobcomp.txt``, which the tests read as the proof that jobs went through
sbatch.

By hand::

    python tests/slurm_cluster.py start /tmp/slurm   # prints the env to export
    python tests/slurm_cluster.py stop /tmp/slurm
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

CONF = Path("/etc/slurm/slurm.conf")
MARK = "# written by gutlung-pipeline's tests/slurm_cluster.py"
TOOLS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "sinfo")


class Unavailable(RuntimeError):
    """This machine cannot host the test cluster (the message says why)."""


@dataclass
class Cluster:
    root: Path

    @property
    def jobcomp(self) -> Path:
        return self.root / "jobcomp.txt"

    @property
    def ctld_log(self) -> Path:
        return self.root / "slurmctld.log"

    def completed_jobs(self) -> list[dict[str, str]]:
        """Slurm's own record of every job it ran (jobcomp/filetxt)."""
        if not self.jobcomp.exists():
            return []
        return [
            dict(re.findall(r"(\w+)=(\S*)", line))
            for line in self.jobcomp.read_text().splitlines()
            if line.strip()
        ]


def why_unavailable() -> str | None:
    """None where the cluster can start here, else the reason it cannot."""
    if os.geteuid() != 0:
        return "slurmd must run as root to start jobs as their user; not root here"
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return f"{', '.join(missing)} not found: run `make slurm-tools`"
    if CONF.exists() and MARK not in CONF.read_text():
        return f"{CONF} belongs to a Slurm already configured here; not replacing it"
    running = [name for name in ("slurmctld", "slurmd") if _running(name)]
    if running:
        return f"{' and '.join(running)} already running on this machine"
    return None


def _running(name: str) -> bool:
    """A live (not zombie) process called ``name``."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text()
        except OSError:
            continue
        comm, _, rest = fields.partition("(")[2].rpartition(")")
        if comm == name and rest.split()[0] != "Z":
            return True
    return False


def _daemon(root: Path, name: str, args: list[str], env: dict) -> None:
    """Start ``args`` in the foreground of its own session; its pid goes to
    ``root/<name>.pid`` before anything can fail, for ``stop``."""
    with open(root / f"{name}.out", "ab") as out:
        proc = subprocess.Popen(
            args,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (root / f"{name}.pid").write_text(str(proc.pid))


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _node_line() -> str:
    """This machine as ``slurmd -C`` sees it (name, CPUs, memory)."""
    out = subprocess.run(
        ["slurmd", "-C"], capture_output=True, text=True, check=True
    ).stdout
    line = out.splitlines()[0]
    memory = int(re.search(r"RealMemory=(\d+)", line).group(1))
    # leave the machine some memory of its own
    return re.sub(r"RealMemory=\d+", f"RealMemory={int(memory * 0.9)}", line)


def slurm_conf(root: Path) -> str:
    node = _node_line()
    name = re.search(r"NodeName=(\S+)", node).group(1)
    ctld_port, node_port = _free_ports(2)
    return f"""{MARK}
ClusterName=gutlung
SlurmctldHost={name}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={root}/munge/munge.socket
SlurmctldPort={ctld_port}
SlurmdPort={node_port}
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/state/slurmctld.pid
SlurmdPidFile={root}/spool/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc={root}/jobcomp.txt
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
MinJobAge=600
ReturnToService=2
MpiDefault=none
{node} NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


def _wait(check, what: str, root: Path, timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.5)
    logs = "".join(
        f"\n--- {p.name}\n{p.read_text()[-2000:]}"
        for p in sorted([*root.glob("*.log"), *root.glob("*.out")])
    )
    raise RuntimeError(f"the test Slurm cluster: {what} within {timeout:.0f} s{logs}")


def start(root: Path) -> Cluster:
    """Start munged, slurmctld and slurmd with everything under ``root``; if
    any of them fails, stop what did start before raising."""
    reason = why_unavailable()
    if reason:
        raise Unavailable(reason)
    root = root.resolve()
    try:
        _start(root)
    except BaseException:
        stop(root)
        raise
    return Cluster(root)


def _start(root: Path) -> None:
    for sub in ("state", "spool", "munge"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    munge = root / "munge"
    munge.chmod(0o700)
    key = munge / "munge.key"
    key.write_bytes(os.urandom(128))
    key.chmod(0o600)
    env = {k: v for k, v in os.environ.items() if k != "SLURM_CONF"}
    _daemon(
        root,
        "munged",
        [
            "munged",
            "--foreground",
            "--force",
            f"--key-file={key}",
            f"--socket={munge}/munge.socket",
            f"--pid-file={munge}/munged.pid",
            f"--log-file={munge}/munged.log",
            f"--seed-file={munge}/munged.seed",
        ],
        env,
    )
    _wait(lambda: (munge / "munge.socket").exists(), "munged did not start", root)
    CONF.parent.mkdir(parents=True, exist_ok=True)
    CONF.write_text(slurm_conf(root))
    _daemon(root, "slurmctld", ["slurmctld", "-D"], env)
    _wait(
        lambda: (
            subprocess.run(
                ["scontrol", "ping"], capture_output=True, env=env, check=False
            ).returncode
            == 0
        ),
        "slurmctld did not answer",
        root,
    )
    _daemon(root, "slurmd", ["slurmd", "-D"], env)

    def node_idle() -> bool:
        out = subprocess.run(
            ["sinfo", "-h", "-o", "%t"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        ).stdout
        return out.strip() == "idle"

    _wait(node_idle, "the node did not become idle", root)


def _kill_pidfile(path: Path) -> None:
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(60):
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return  # our own child, now reaped
        except ChildProcessError:
            pass  # started by another process (stop run by hand)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.25)
    os.kill(pid, signal.SIGKILL)


def stop(root: Path) -> None:
    """Stop the daemons that ``start`` began and remove its slurm.conf."""
    root = root.resolve()
    for name in ("slurmd", "slurmctld", "munged"):
        _kill_pidfile(root / f"{name}.pid")
    if CONF.exists() and MARK in CONF.read_text():
        CONF.unlink()


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print("usage: slurm_cluster.py start|stop FOLDER", file=sys.stderr)
        return 2
    action, root = argv[0], Path(argv[1])
    if action == "stop":
        stop(root)
        return 0
    try:
        cluster = start(root)
    except Unavailable as err:
        print(f"slurm_cluster: {err}", file=sys.stderr)
        return 1
    print(f"Slurm is up; jobs Slurm ran are listed in {cluster.jobcomp}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
