"""Paths shared by the tests: the repository's examples and this folder's fixtures."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples").glob("*.rl.ts"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CARTPOLE = str(REPO / "examples" / "cartpole.rl.ts")
GRIDWORLD = str(REPO / "examples" / "gridworld.rl.ts")
