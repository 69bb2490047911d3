"""Seed the data categories a product can process; codes are stable (imports and the API use them)."""

from django.db import migrations

CATEGORIES = [
    ("sensitive_personal", "Special-category personal data", "GDPR Art. 9 data: health, biometrics, beliefs...", 5),
    ("health", "Health data", "Patient or employee health information (HIPAA PHI, GDPR Art. 9).", 5),
    ("credentials", "Credentials and secrets", "Passwords, API keys, tokens.", 5),
    ("payment_card", "Payment card data", "PCI DSS cardholder data.", 5),
    ("personal", "Personal data", "Any information relating to an identifiable person.", 4),
    ("financial", "Financial data", "Accounts, transactions, non-public financials.", 4),
    ("employee", "Employee data", "HR records, performance, compensation.", 4),
    ("source_code", "Source code", "Proprietary code and infrastructure configuration.", 4),
    ("confidential_business", "Confidential business information", "Contracts, strategy, trade secrets.", 4),
    ("customer_content", "Customer content", "Content our customers submit to us.", 3),
    ("public", "Public data", "Information already public.", 1),
]


def seed(apps, schema_editor):
    DataCategory = apps.get_model("vendors", "DataCategory")
    for code, name, description, sensitivity in CATEGORIES:
        DataCategory.objects.update_or_create(
            code=code, defaults={"name": name, "description": description, "sensitivity": sensitivity}
        )


def unseed(apps, schema_editor):
    apps.get_model("vendors", "DataCategory").objects.filter(code__in=[c[0] for c in CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("vendors", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
