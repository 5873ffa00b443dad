"""The `warden` command. Each command is thin: it parses options and calls the registry, the gateway or
the guardrails. Every command reads WARDEN_CONFIG and DATABASE_URL.

Commands are imported when they are run, so `warden serve` does not carry the data libraries that
`warden monitor` needs (the server's memory stays small).
"""

from __future__ import annotations

from importlib import import_module

import click

COMMANDS = {
    "serve": ("gateway.cli.serve", "serve"),
    "keys": ("gateway.cli.admin", "keys"),
    "teams": ("gateway.cli.admin", "teams"),
    "costs": ("gateway.cli.admin", "costs"),
    "db": ("gateway.cli.admin", "db"),
    "prompts": ("gateway.cli.prompts", "prompts_group"),
    "models": ("gateway.cli.models", "models_group"),
    "audit": ("gateway.cli.models", "audit_group"),
    "monitor": ("gateway.cli.monitor", "monitor_group"),
    "scan": ("gateway.cli.scan", "scan"),
    "logs": ("gateway.cli.logs", "logs_group"),
    "eval": ("gateway.cli.eval", "eval_group"),
    "usecases": ("gateway.cli.usage_policy", "usecases_group"),
    "review": ("gateway.cli.usage_policy", "review_group"),
    "sources": ("gateway.cli.sources", "sources_group"),
}
HELP = {
    "serve": "Run the gateway.",
    "keys": "Create, list and revoke API keys.",
    "teams": "Create and list teams.",
    "costs": "Spend, tokens and requests by team, key, model or prompt.",
    "db": "Registry schema migrations.",
    "prompts": "Git-backed prompts: list, render, lint, promote, roll back.",
    "models": "Model registry: inventory, risk tiers, reviews, promotion, rollout, decommissioning.",
    "audit": "Verify, export and purge the governance audit trail.",
    "monitor": "Model monitoring: drift, performance decay, alerts, re-training triggers.",
    "scan": "Run guardrails over a JSONL file offline (one result per line).",
    "logs": "Show or purge the request/response exchanges kept for audit.",
    "eval": "Evaluate prompts and models: suites, metrics (ragas), red team, reports, record/replay.",
    "usecases": "LLM use cases: list, show, create, set-status (approved, conditional, forbidden).",
    "review": "Human review of answers: list, show, approve, reject.",
    "sources": "RAG sources: inventory, freshness, embedding versions, re-index tasks, retrieval evaluation.",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute = COMMANDS[name]
        command: click.Command = getattr(import_module(module), attribute)
        command.name = name
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, HELP[name]) for name in self.list_commands(ctx)])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option("0.1.0", prog_name="warden")
def cli() -> None:
    """Warden: a governed LLM gateway."""


def main() -> None:
    cli(prog_name="warden")
