"""Model handlers (Beam ModelHandlers) for the copy LLM and the inpainter, and model loading only."""


def use_threads(threads: int | None) -> None:
    """Run this process's torch operations on `threads` threads (None: torch's default, one per
    core). Local worker processes share the machine's cores: N processes each running a thread per
    core would fight over them."""
    if threads:
        import torch

        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
