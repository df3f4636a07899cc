"""Reading a model's own fields by name."""

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models


def model_field(model: type[models.Model], name: str) -> "models.Field[Any, Any]":
    """The field declared on the model under that name. A verbose name, choices or internal type
    belong to a declared field, not to a relation that points at the model."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise FieldDoesNotExist(f"{model.__name__}.{name} is a relation to the model, not a field of it")
    return field
