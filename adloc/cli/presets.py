"""Runner presets: the Beam options for Dataflow assembled from a few flags. What must hold before
a job leaves this machine is `adloc.pipelines.runner.check_remote`."""

from __future__ import annotations

from adloc.errors import AdlocError


def dataflow_options(project: str, region: str, temp_location: str, worker_image: str | None = None,
                     setup_file: str | None = None, gpu: str | None = None, machine_type: str | None = None,
                     max_workers: int | None = None, job_name: str | None = None) -> list[str]:
    """Beam options for DataflowRunner. `gpu` is `TYPE:COUNT` (e.g. `nvidia-l4:1`): the workers get
    the accelerator and its driver through `--dataflow_service_options`, and one SDK process each
    (`no_use_multiple_sdk_containers`: Dataflow's default is a process per vCPU, each loading
    every model into the one GPU's memory)."""
    if not temp_location.startswith("gs://"):
        raise AdlocError(f"--temp-location: {temp_location!r} must be a gs:// bucket path Dataflow can write")
    if worker_image and setup_file:
        raise AdlocError("--worker-image and --setup-file: give one (a prebuilt image, or a setup.py to install)")
    args = ["--runner=DataflowRunner", f"--project={project}", f"--region={region}",
            f"--temp_location={temp_location}"]
    if worker_image:
        args += [f"--sdk_container_image={worker_image}", "--sdk_location=container"]
    if setup_file:
        args.append(f"--setup_file={setup_file}")
    if gpu:
        kind, _, count = gpu.partition(":")
        if not kind or not (count or "1").isdigit():
            raise AdlocError(f"--gpu: {gpu!r} is not TYPE:COUNT such as nvidia-l4:1")
        args.append(f"--dataflow_service_options=worker_accelerator=type:{kind};count:{count or 1};install-nvidia-driver")
        args += ["--experiments=use_runner_v2", "--experiments=no_use_multiple_sdk_containers"]
    if machine_type:
        args.append(f"--machine_type={machine_type}")
    if max_workers:
        args.append(f"--max_num_workers={max_workers}")
    if job_name:
        args.append(f"--job_name={job_name}")
    return args


def dask_options(address: str) -> list[str]:
    """Beam options for a Dask cluster: adloc's Dask runner (`adloc.pipelines.dask_runner`) and the
    scheduler's address (tcp://host:8786; a scheduler file's path also works)."""
    if not address or address.startswith("-"):
        raise AdlocError(f"--dask: {address!r} is not a scheduler address such as tcp://10.0.0.5:8786")
    if "://" not in address and (address.endswith(".json") or "/" in address):
        return ["--runner=DaskRunner", f"--dask_scheduler_file={address}"]
    return ["--runner=DaskRunner", f"--dask_client_address={address}"]
