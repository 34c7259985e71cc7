"""Model handlers (Beam ModelHandlers) for the copy LLM and the inpainter, loading, the gate."""
