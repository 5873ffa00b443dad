"""The Docker image's tree, built the way the Dockerfile builds it, serves a stored prompt at `@production`.

No Docker engine is needed: the test runs the Dockerfile's own build command for the prompt repository, copies
`config/` as the Dockerfile does, and starts the gateway on that tree's config in front of a fake upstream.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from gateway.config import parse_config
from tests.gateway.conftest import GatewayFactory, deployment
from tests.support.fake_upstream import FakeUpstream

ROOT = Path(__file__).resolve().parents[2]
# The lines of the Dockerfile this test mirrors; if they change, the test must change with them.
BUILD_LINE = "RUN /opt/warden/bin/python -m gateway.prompts.image_repo /src /out/app"
COPY_LINES = ("COPY --chown=warden:warden config ./config", "COPY --from=build --chown=warden:warden /out/app/ ./")


def run_build(source: Path, app: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway.prompts.image_repo", str(source), str(app)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def build_image_tree(app: Path) -> None:
    """/src is the build context (the repository) and /app the image's WORKDIR."""
    done = run_build(ROOT, app)
    assert done.returncode == 0, done.stderr
    shutil.copytree(ROOT / "config", app / "config")


def image_config(app: Path, upstream: FakeUpstream) -> dict[str, Any]:
    """The image's config with its prompt store as shipped; the demo model is served by the fake upstream."""
    shipped = parse_config(yaml.safe_load((app / "config" / "gateway.yaml").read_text()), "image config").prompts
    assert shipped is not None and shipped.path is not None and not shipped.path.is_absolute()
    prompts = shipped.model_dump(mode="json", exclude_unset=True)
    prompts["path"] = str(app / shipped.path)  # relative to the WORKDIR, /app in the image
    return {"model_list": [deployment("demo-chat", upstream)], "prompts": prompts}


def test_dockerfile_runs_the_build_this_test_runs() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    assert BUILD_LINE in lines
    assert all(line in lines for line in COPY_LINES)
    assert "COPY --chown=warden:warden prompts ./prompts" not in lines  # the bare folder left the store off


def test_image_tree_serves_a_stored_prompt_at_production(
    tmp_path: Path, make_gateway: GatewayFactory, upstream: FakeUpstream
) -> None:
    app = tmp_path / "app"
    build_image_tree(app)
    assert sorted(p.name for p in app.iterdir()) == [".git", "config", "prompts"]
    labels = yaml.safe_load((app / "prompts" / "labels.yaml").read_text())
    with make_gateway(image_config(app, upstream)) as gw:
        raw = gw.client().chat.completions.with_raw_response.create(
            model="prompt:summarise-thread@production", messages=[],
            extra_body={"prompt": {"variables": {"thread": "A: the build is red. B: on it."}}})
    assert raw.http_response.status_code == 200
    assert raw.headers["x-warden-prompt-commit"] == labels["summarise-thread"]["production"]
    sent = upstream.requests_to("/chat/completions")[-1].json
    assert sent["messages"][0]["role"] == "system" and "the build is red" in sent["messages"][-1]["content"]


def test_a_shallow_build_context_fails_the_build_naming_the_fix(tmp_path: Path) -> None:
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "--quiet", "--depth=1", ROOT.as_uri(), str(shallow)], check=True, timeout=60)
    done = run_build(shallow, tmp_path / "app")
    assert done.returncode == 1 and "git fetch --unshallow" in done.stderr
