"""Model registry governance: inventory, risk tiers, gates, review board, audit trail, rollout and decommissioning.

The public service API is re-exported here; every function takes a SQLModel `Session` (the caller owns the
transaction, e.g. `registry.db.session_scope`) and an `Actor`. Nothing here imports the gateway.
"""

from __future__ import annotations

from registry.governance.audit import AuditEntryOut, list_entries
from registry.governance.audit_verify import VerifyReport, export_entries, verify
from registry.governance.card import ModelCard, check_card
from registry.governance.card_render import render_markdown
from registry.governance.classification import classify_model, get_classification, overdue_reviews
from registry.governance.classify import ClassificationCriteria, ClassificationResult, Impact, classify
from registry.governance.datasets import amend_dataset_version, retire_dataset_version
from registry.governance.decommission import (
    archive_model,
    check_migration,
    cleanup_model,
    record_postmortem,
    start_decommission,
)
from registry.governance.decommission_records import (
    ArchiveIn,
    DecommissionNotice,
    DecommissionStart,
    Notifier,
    PostMortem,
    UsageLookup,
    UsageStats,
)
from registry.governance.errors import Conflict, GateError, GovernanceError, NotFound, PermissionDenied
from registry.governance.inventory import (
    add_dataset_version,
    add_experiment,
    get_model,
    get_model_card,
    list_dataset_versions,
    list_experiments,
    list_models,
    register_model,
    set_charter,
    set_decommission_plan,
    set_deployment_record,
    set_model_card,
    set_monitoring_plan,
    update_model,
)
from registry.governance.lifecycle import advance_phase, promote
from registry.governance.policy import DEFAULT_POLICY, PolicyTable, TierPolicy, tier_policy
from registry.governance.retention import purge_audit
from registry.governance.review import (
    decide,
    get_review,
    list_reviews,
    record_vote,
    set_reviewer_roles,
    submit_for_review,
)
from registry.governance.rollout import RolloutPlan, clear_rollout, get_rollout, set_rollout, switch_blue_green
from registry.governance.schemas import (
    DecisionIn,
    ModelIn,
    ModelOut,
    ModelUpdate,
    ReviewOut,
    SubmissionIn,
    VersionIn,
    VersionOut,
    VoteIn,
)
from registry.governance.serving import Servability, check_servable, is_routable, routable_versions
from registry.governance.tables import create_tables, drop_tables
from registry.governance.types import Actor
from registry.governance.versions import (
    get_version,
    list_versions,
    register_version,
    remove_alias,
    set_alias,
    set_llm_links,
    set_validation_report,
    update_version_spec,
)

__all__ = [
    "Actor",
    "ArchiveIn",
    "AuditEntryOut",
    "ClassificationCriteria",
    "ClassificationResult",
    "Conflict",
    "DEFAULT_POLICY",
    "DecisionIn",
    "DecommissionNotice",
    "DecommissionStart",
    "GateError",
    "GovernanceError",
    "Impact",
    "ModelCard",
    "ModelIn",
    "ModelOut",
    "ModelUpdate",
    "NotFound",
    "Notifier",
    "PermissionDenied",
    "PolicyTable",
    "PostMortem",
    "ReviewOut",
    "RolloutPlan",
    "Servability",
    "SubmissionIn",
    "TierPolicy",
    "UsageLookup",
    "UsageStats",
    "VerifyReport",
    "VersionIn",
    "VersionOut",
    "VoteIn",
    "add_dataset_version",
    "add_experiment",
    "amend_dataset_version",
    "advance_phase",
    "archive_model",
    "check_card",
    "check_migration",
    "check_servable",
    "classify",
    "classify_model",
    "cleanup_model",
    "clear_rollout",
    "create_tables",
    "decide",
    "drop_tables",
    "export_entries",
    "get_classification",
    "get_model",
    "get_model_card",
    "get_review",
    "get_rollout",
    "get_version",
    "is_routable",
    "list_dataset_versions",
    "list_entries",
    "list_experiments",
    "list_models",
    "list_reviews",
    "list_versions",
    "overdue_reviews",
    "promote",
    "purge_audit",
    "record_postmortem",
    "record_vote",
    "register_model",
    "register_version",
    "remove_alias",
    "render_markdown",
    "retire_dataset_version",
    "routable_versions",
    "set_alias",
    "set_charter",
    "set_decommission_plan",
    "set_deployment_record",
    "set_llm_links",
    "set_model_card",
    "set_monitoring_plan",
    "set_reviewer_roles",
    "set_rollout",
    "set_validation_report",
    "start_decommission",
    "submit_for_review",
    "switch_blue_green",
    "tier_policy",
    "update_model",
    "update_version_spec",
    "verify",
]
