"""The LLM evaluators: registry, prompts, jobs, the answer contract, validation, the run memo."""
