from datetime import date
from typing import ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Also imported from here by the apps that name people and institutions.
from research_governance.core.i18n import localized


class Institution(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    country = models.CharField(_("country"), max_length=2, default="JP", help_text=_("ISO 3166-1 alpha-2 code."))

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized(self.name_ja, self.name_en)


class Department(models.Model):
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="departments")
    name_ja = models.CharField(_("name (Japanese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["institution", "name_en"]
        constraints = [models.UniqueConstraint(fields=["institution", "name_en"], name="department_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized(self.name_ja, self.name_en)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class NotificationMode(models.TextChoices):
    """How a person's notifications reach them by email (they are always listed in the app)."""

    IMMEDIATE = "immediate", _("One email per notification, as it happens")
    DIGEST = "digest", _("One email a day with all of the day's notifications")


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email address."""

    email = models.EmailField(_("email address"), unique=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=150, blank=True)
    name_latin = models.CharField(_("name (Latin script)"), max_length=150, blank=True)
    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    affiliation = models.CharField(
        _("affiliation"),
        max_length=200,
        blank=True,
        help_text=_("As printed on decision letters, e.g. for external members."),
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=5, choices=[("ja", "日本語"), ("en", "English")], default="ja"
    )
    notification_mode = models.CharField(
        _("notification emails"),
        max_length=10,
        choices=NotificationMode.choices,
        default=NotificationMode.IMMEDIATE,
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return localized(self.name_ja, self.name_latin) or self.email

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name


class Role(models.TextChoices):
    INVESTIGATOR = "investigator", _("Investigator")
    SECRETARIAT = "secretariat", _("Secretariat")
    COMMITTEE_MEMBER = "committee_member", _("Committee member")
    CHAIR = "chair", _("Committee chair")
    HEAD = "head", _("Head of institution")
    DATA_ACCESS_COMMITTEE = "data_access_committee", _("Data access committee")
    AUDITOR = "auditor", _("Auditor")
    ADMINISTRATOR = "administrator", _("Administrator")


class RoleMembershipQuerySet(models.QuerySet["RoleMembership"]):
    def current(self, on: "date | None" = None) -> "RoleMembershipQuerySet":
        # Terms are dates in the institution's time zone, not UTC.
        day = on or timezone.localdate()
        return self.filter(Q(valid_from__lte=day), Q(valid_to__isnull=True) | Q(valid_to__gte=day))


class RoleMembership(models.Model):
    """A user's role at an institution, for a period (SEC-01: rights are role-based)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_memberships")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="role_memberships")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    objects = RoleMembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("role membership")
        verbose_name_plural = _("role memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "institution", "role", "valid_from"], name="role_membership_unique")
        ]
        indexes = [models.Index(fields=["user", "role"], name="role_membership_user_role")]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()}"
