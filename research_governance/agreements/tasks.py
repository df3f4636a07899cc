"""Celery tasks of data sharing, here so the worker's autodiscovery finds them."""

from .document import render_agreement_document

__all__ = ["render_agreement_document"]
