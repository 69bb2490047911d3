"""factory_boy factories for the domain model."""

import factory
from django.contrib.auth.models import Group, User

from vendors.models import AIModel, Contact, Host, HostRegion, ModelUsage, Product, Publisher, PublisherOrg, Vendor


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    name = factory.Sequence(lambda n: f"Vendor {n}, Inc.")
    country = "US"
    website = factory.LazyAttribute(lambda v: f"https://{v.name.split(',')[0].lower().replace(' ', '-')}.example")
    tier = Vendor._meta.get_field("tier").default


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    vendor = factory.SubFactory(VendorFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@vendor.example")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    vendor = factory.SubFactory(VendorFactory)
    name = factory.Sequence(lambda n: f"Copilot {n}")


class PublisherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Publisher

    key = factory.Sequence(lambda n: f"publisher-{n}")
    name = factory.Sequence(lambda n: f"Publisher {n}")
    country = "US"
    sources = factory.LazyFunction(lambda: [{"title": "Company site", "url": "https://publisher.example"}])


class PublisherOrgFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PublisherOrg

    publisher = factory.SubFactory(PublisherFactory)
    org_id = factory.Sequence(lambda n: f"org-{n}")


class HostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Host

    key = factory.Sequence(lambda n: f"host-{n}")
    name = factory.Sequence(lambda n: f"Host {n}")
    country = "US"
    kind = Host.Kind.INFERENCE_PROVIDER


class HostRegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HostRegion

    host = factory.SubFactory(HostFactory)
    code = factory.Sequence(lambda n: f"region-{n}")
    name = factory.LazyAttribute(lambda r: r.code)
    country = "US"


class AIModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AIModel

    kind = AIModel.Kind.HUB
    name = factory.Sequence(lambda n: f"org{n}/model-{n}")


class ModelUsageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelUsage

    product = factory.SubFactory(ProductFactory)
    model = factory.SubFactory(AIModelFactory)
    role = ModelUsage.Role.PRIMARY


def finding_accept_approved(*, finding, justification: str, accepted_until, by):
    """Accept a finding's risk through the service, and when the policy asks for a second approver, approve it as
    another person (an admin): the acceptance in force, as most tests about ratings need it."""
    from assessments import services
    from riskregistry.roles import ADMIN

    finding = services.finding_accept(
        finding=finding, justification=justification, accepted_until=accepted_until, by=by
    )
    if finding.acceptance_pending:
        approver = UserFactory(role=ADMIN)
        finding = services.finding_acceptance_approve(finding=finding, by=approver)
    return finding
