"""Factories of the macros tests (kept here, beside them, rather than in the shared tests/factories.py)."""

import factory

from macros.models import Macro, MacroAvailability


class MacroFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Macro
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Macro {n}")
    availability = MacroAvailability.EVERYONE
    actions = factory.LazyFunction(lambda: [{"field": "status", "value": "solved"}])

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.set(extracted)
