"""`make run` with the Dagster UI: the example catalog served by `dagster dev`.

1. Sets DAGSTER_HOME (default `$DOBO_HOME/dagster`, i.e. `.dobo/dagster`),
   creates it and copies the embedded default `dagster.yaml` into it.
2. Applies the example finance catalog and generates its Periods with the
   `dobo` command, exactly as a user would (state under $DOBO_HOME).
3. Starts `dagster dev -w workspace.yaml` (webserver + daemon) on
   127.0.0.1:<port> and prints the URL. Ctrl-C stops it and everything it
   started.

`--run-example` (what `make run` passes) also makes the example Runs not
done yet (`run_example.py`): once the UI answers, each is launched as a Dagster
run of its Project's job for that partition (`example_in_dagster.py`), so they
show on the Runs page and as materializations; a Period that is no partition
of the job (a quarter of a month-level Project) runs with `dobo run`, and the
location reports it (sensor `dobo_cli_runs`). A warm start finds them done and
launches nothing. `--no-serve` does steps 1 and 2 only (with `--run-example`,
the Runs with `dobo run`); tests start the server themselves.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CATALOG = "examples/finance/catalog"
CALENDAR = "finance"
YEARS = ("2025", "2026")
STOP_GRACE_SECONDS = 20


def dobo_home() -> Path:
    return Path(os.environ.get("DOBO_HOME") or ROOT / ".dobo").resolve()


def prepare_dagster_home(home: Path) -> Path:
    """Create ``home`` with the embedded instance file; return it."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "dagster.yaml", home / "dagster.yaml")
    return home


def server_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["DAGSTER_HOME"] = str(home)
    env.setdefault("DOBO_HOME", str(dobo_home()))
    # The example DataSources use paths relative to the repository (D34).
    env.setdefault("DOBO_DATA_ROOT", str(ROOT))
    return env


def dobo(env: dict[str, str], *args: str) -> None:
    print(f"$ dobo {' '.join(args)}", flush=True)
    result = subprocess.run([str(BIN / "dobo"), *args], cwd=ROOT, env=env)
    if result.returncode != 0:
        sys.exit(result.returncode)


def load_example(env: dict[str, str]) -> None:
    dobo(env, "apply", CATALOG)
    dobo(env, "periods", "generate", CALENDAR, "--from-year", YEARS[0], "--to-year", YEARS[1])


def dagster_dev_command(host: str, port: int) -> list[str]:
    return [str(BIN / "dagster"), "dev", "-w", str(ROOT / "workspace.yaml"), "-h", host, "-p", str(port)]


def stop(proc: subprocess.Popen[bytes], grace: float = STOP_GRACE_SECONDS) -> int:
    """Stop ``proc`` and its process group: SIGINT (clean shutdown), then SIGTERM, then SIGKILL."""
    for sig, wait in ((signal.SIGINT, grace), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    # Anything the server left behind in its group (code server, run workers).
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    return proc.wait()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_example_through(url: str, env: dict[str, str], todo: list[tuple[str, str]]) -> None:
    """The pending example Runs: as Dagster runs where the Period is a partition, else with `dobo run`."""
    from example_in_dagster import launch_in_dagster

    try:
        _, rest = launch_in_dagster(url, todo)
    except Exception as err:  # noqa: BLE001 - the UI stays up; say why and run them with the CLI
        print(f"example runs not launched in Dagster ({type(err).__name__}: {err}); running them with dobo", flush=True)
        rest = todo
    for project, period in rest:
        dobo(env, "run", project, "--period", period)


def serve(env: dict[str, str], host: str, port: int, todo: list[tuple[str, str]] | None = None) -> int:
    signal.signal(signal.SIGTERM, _interrupt)  # `kill <this script>` stops the server the same way
    # Started in DAGSTER_HOME, where its instance file is (not beside the repository's copy).
    proc = subprocess.Popen(dagster_dev_command(host, port), cwd=env["DAGSTER_HOME"], env=env, start_new_session=True)
    print(f"dobo on Dagster: http://{host}:{port}  (DAGSTER_HOME={env['DAGSTER_HOME']}; Ctrl-C to stop)", flush=True)
    if todo:
        worker = threading.Thread(target=run_example_through, args=(f"http://{host}:{port}", env, todo), daemon=True)
        worker.start()
    try:
        return proc.wait()
    except KeyboardInterrupt:
        print("\nstopping dagster dev ...", flush=True)
        stop(proc)
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument(
        "--dagster-home",
        type=Path,
        default=None,
        help="Dagster instance folder (default: $DAGSTER_HOME, else $DOBO_HOME/dagster)",
    )
    parser.add_argument("--no-serve", action="store_true", help="prepare the instance and the catalog, then exit")
    parser.add_argument(
        "--run-example", action="store_true", help="run the example Projects (those not done yet) before serving"
    )
    args = parser.parse_args(argv)

    home = args.dagster_home or Path(os.environ.get("DAGSTER_HOME") or dobo_home() / "dagster")
    home = prepare_dagster_home(home.resolve())
    env = server_env(home)
    load_example(env)
    todo: list[tuple[str, str]] = []
    if args.run_example:
        sys.path.insert(0, str(ROOT / "scripts"))
        from run_example import pending_example_runs, run_projects

        if args.no_serve:
            run_projects(env)
        else:
            todo = pending_example_runs(env)
    if args.no_serve:
        print(f"DAGSTER_HOME={home}")
        return 0
    return serve(env, args.host, args.port, todo)


if __name__ == "__main__":
    sys.exit(main())
