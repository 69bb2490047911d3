"""Writing many read-only rows fast. DRF's ``Serializer.to_representation`` asks every field of every row for its
attribute and then its representation, through a few layers of calls. ``FastRows`` compiles, once per serializer
instance (so once per page for a list's rows, and once for each nested brief), how each field is read: a column
whose value is already what JSON shows (a ``str`` of a text or choice field, an ``int``, a ``bool``, a JSON
value) is copied as it is; other columns and nested rows are read and handed to the field's
``to_representation``; related fields, lists of rows, method fields and ``source="*"`` go through the field
exactly as DRF does. The output is the same; only the work is less."""

from __future__ import annotations

import copy
import datetime as dt

from rest_framework import ISO_8601, serializers
from rest_framework.fields import SkipField
from rest_framework.relations import ManyRelatedField, PKOnlyObject, RelatedField
from rest_framework.settings import api_settings

#: Field classes (exactly these, not subclasses that may change the representation) whose representation of a
#: value of the given types is the value itself.
_AS_IS = {
    serializers.CharField: (str,),
    serializers.ChoiceField: (str,),
    serializers.IntegerField: (int,),
    serializers.BooleanField: (bool,),
}
_GENERIC = None  # a plan step that goes through the field as DRF does
_THROUGH_DRF = (RelatedField, ManyRelatedField, serializers.ListSerializer)


def _as_is_types(field: serializers.Field) -> tuple[type, ...] | None:
    if type(field) is serializers.JSONField and not field.binary:
        return (dict, list, str, int, float, bool)
    return _AS_IS.get(type(field))


def _writer(field: serializers.Field):
    """A faster ``to_representation`` for a date or a time-zone-aware datetime in ISO 8601 (DRF's default format),
    written as DRF writes it: converted to the field's time zone (the current one, fixed for the page), with
    ``Z`` for UTC. Anything else goes to the field."""
    slow = field.to_representation
    if type(field) is serializers.DateField:
        if (getattr(field, "format", api_settings.DATE_FORMAT) or "").lower() != ISO_8601:
            return None

        def write_date(value):
            return value.isoformat() if type(value) is dt.date else slow(value)

        return write_date
    if type(field) is not serializers.DateTimeField:
        return None
    if (getattr(field, "format", api_settings.DATETIME_FORMAT) or "").lower() != ISO_8601:
        return None
    zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
    if zone is None:
        return None

    def write_datetime(value):
        if type(value) is not dt.datetime or value.utcoffset() is None:
            return slow(value)
        try:
            text = value.astimezone(zone).isoformat()
        except OverflowError:
            return slow(value)  # DRF's error
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return write_datetime


class FastRows:
    """Mixin for a read-only serializer (first in the bases): the same representation, computed with less work.

    Its fields are built once per class: a ``ModelSerializer`` otherwise inspects its model again for every
    instance (once per request for a list, and once more for each nested brief), which cost a list as much as
    writing its rows. Each instance gets its own copy, as DRF's declared fields do."""

    def get_fields(self):
        built = type(self).__dict__.get("_fast_fields")
        if built is None:
            built = super().get_fields()
            type(self)._fast_fields = built
        return copy.deepcopy(built)

    def to_representation(self, instance):
        plan = self.__dict__.get("_fast_plan")
        if plan is None:
            plan = self._fast_plan = self._fast_compile()
        ret = {}
        for name, attr, types, write, field in plan:
            if types is not _GENERIC:
                try:
                    value = getattr(instance, attr)
                except AttributeError:
                    pass  # DRF decides (a default, null, or the error)
                else:
                    if value is None:
                        ret[name] = None
                        continue
                    if type(value) in types:
                        ret[name] = value
                        continue
                    if not callable(value):
                        ret[name] = field.to_representation(value) if write is None else write(value)
                        continue
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            ret[name] = None if check_for_none is None else field.to_representation(attribute)
        return ret

    def _fast_compile(self) -> list[tuple]:
        plan = []
        for field in self._readable_fields:
            attrs = field.source_attrs
            # Related fields read ids without loading the row, and lists of rows go through their manager: as DRF.
            direct = len(attrs) == 1 and field.source != "*" and not isinstance(field, _THROUGH_DRF)
            types = (_as_is_types(field) or ()) if direct else _GENERIC
            write = _writer(field) if direct else None
            plan.append((field.field_name, attrs[0] if direct else None, types, write, field))
        return plan
