"""A spreadsheet import through the real Redis broker and a real worker process: "import all" is queued, the
worker applies the file, then resolves the new hub model's lineage and rates the usage."""

import pytest

from assessments.models import RiskRating
from tests import factories
from tests.services import wait_for
from vendors import services
from vendors.models import AIModel, CsvImport, ModelUsage

pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.postgres]

QWEN_GGUF = "northwind-ai/contract-copilot-7b-GGUF"


def test_a_worker_imports_the_file_then_resolves_and_rates_it(celery_worker_factory, fake_hub, knowledge):
    analyst = factories.UserFactory(username="worker-analyst", role="analyst")
    worker = celery_worker_factory(extra_env={"HF_ENDPOINT": fake_hub.url})
    data = f"vendor,vendor_country,product,model\nNorthwind AI,US,Contract Copilot,{QWEN_GGUF}\n".encode()
    csv_import = services.csv_import_stage(data=data, filename="northwind.csv", user=analyst)
    plan = services.csv_import_preview(csv_import=csv_import)
    services.csv_import_apply_request(csv_import=csv_import, plan_digest=plan.digest, user=analyst)  # committed

    done = wait_for(lambda: CsvImport.objects.filter(pk=csv_import.pk, status="applied").first(), timeout=60.0)
    assert done is not None, f"not imported: the worker's log:\n{worker.log()}"
    assert done.applied_by == analyst and done.outcome["create"] == 1
    usage = ModelUsage.objects.get(product__name="Contract Copilot")
    resolved = wait_for(
        lambda: AIModel.objects.filter(name=QWEN_GGUF, status="resolved", fetched_at__isnull=False).first(),
        timeout=60.0,
    )
    assert resolved is not None, f"lineage not resolved: the worker's log:\n{worker.log()}"
    rating = wait_for(
        lambda: RiskRating.objects.filter(usage=usage, is_current=True, inputs_as_of__isnull=False).first(),
        timeout=60.0,
    )
    assert rating is not None, f"not rated: the worker's log:\n{worker.log()}"
    assert rating.tier in ("high", "critical")  # a Qwen base published in CN, found through the lineage
