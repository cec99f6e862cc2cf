"""The paper's metrics and the comparisons."""
