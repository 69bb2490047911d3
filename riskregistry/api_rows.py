"""Writing many read-only rows fast. DRF's ``Serializer.to_representation`` asks every field of every row for its
attribute and then its representation, through a few layers of calls. ``FastRows`` compiles, once per serializer
instance (so once per page for a list's rows, and once for each nested brief), how each field is read: a column
whose value is already what JSON shows (a ``str`` of a text or choice field, an ``int``, a ``bool``, a JSON
value) is copied as it is; other columns and nested rows are read and handed to the field's
``to_representation``; related fields, lists of rows, method fields and ``source="*"`` go through the field
exactly as DRF does. The output is the same; only the work is less."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import ManyRelatedField, PKOnlyObject, RelatedField

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


class FastRows:
    """Mixin for a read-only serializer (first in the bases): the same representation, computed with less work."""

    def to_representation(self, instance):
        plan = self.__dict__.get("_fast_plan")
        if plan is None:
            plan = self._fast_plan = self._fast_compile()
        ret = {}
        for name, attr, types, field in plan:
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
                        ret[name] = field.to_representation(value)
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
            plan.append((field.field_name, attrs[0] if direct else None, types, field))
        return plan
