"""A private model's config files from the UI: the upload form (analysts), the uploads' history with what the
inference concluded from each, and the files themselves as downloads."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import FormView, View

from vendors import selectors
from vendors.forms import ModelFilesForm
from vendors.models import AIModel, ModelFilesUpload
from vendors.services.model_files import model_files_upload
from vendors.views.base import Guarded, form_errors_from


class ModelFilesUploadView(Guarded, FormView):
    """GET: the form and the uploads so far; POST: check the files, record them and run the inference."""

    permission_required = "vendors.add_modelfilesupload"
    form_class = ModelFilesForm
    template_name = "vendors/model_files_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.model = get_object_or_404(AIModel, pk=kwargs["pk"])
        if self.model.kind != AIModel.Kind.DECLARED and request.user.has_perm(self.permission_required):
            messages.error(
                request,
                f"{self.model.name} is a {self.model.get_kind_display().lower()}: files are uploaded only for a "
                "model with no public record.",
            )
            return redirect("vendors:model_detail", pk=self.model.pk)
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            upload = model_files_upload(
                model=self.model,
                config=form.cleaned_data["config"],
                tokenizer=form.cleaned_data["tokenizer"],
                channel=ModelFilesUpload.Channel.ANALYST,
                user=self.request.user,
            )
        except ValidationError as error:
            form_errors_from(form, error)
            return self.form_invalid(form)
        found = next((c for c in upload.candidates if c.get("stored")), None)
        said = found["summary"] if found else upload.edges_note or "no probable parent"
        messages.success(self.request, f"Uploaded {' and '.join(upload.file_names)}: {said}.")
        return redirect("vendors:model_detail", pk=self.model.pk)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "model": self.model,
            "uploads": selectors.model_files_uploads(self.model),
        }


class ModelFilesDownloadView(Guarded, View):
    """One uploaded file, exactly as uploaded, as a download (never shown inline)."""

    permission_required = "vendors.view_modelfilesupload"

    def get(self, request, pk: int, upload_pk: int, kind: str):
        upload = get_object_or_404(ModelFilesUpload, pk=upload_pk, model_id=pk)
        raw = {"config": upload.config_raw, "tokenizer": upload.tokenizer_raw}.get(kind)
        if raw is None:
            raise Http404("No such file in this upload.")
        name = "config.json" if kind == "config" else "tokenizer_config.json"
        response = HttpResponse(bytes(raw), content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="{upload.model_id}-{upload.pk}-{name}"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
