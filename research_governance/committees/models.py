from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from research_governance.accounts.models import Institution, localized


class Committee(models.Model):
    class Kind(models.TextChoices):
        ETHICS = "ethics", _("Ethics committee")
        DATA_ACCESS = "data_access", _("Data access committee")

    class RuleSet(models.TextChoices):
        JP = "JP", _("Japan (MHLW ethical guidelines)")
        US = "US", _("United States (Common Rule)")

    class DecisionRule(models.TextChoices):
        # JP-ERC-09 (UNVERIFIED): the voting rule is the committee's own setting.
        CONSENSUS = "consensus", _("Consensus")
        MAJORITY = "majority", _("Simple majority")
        TWO_THIRDS = "two_thirds", _("Two-thirds majority")

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="committees")
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    rule_set = models.CharField(_("rule set"), max_length=2, choices=RuleSet.choices, default=RuleSet.JP)
    decision_rule = models.CharField(
        _("decision rule"), max_length=20, choices=DecisionRule.choices, default=DecisionRule.CONSENSUS
    )

    class Meta:
        verbose_name = _("committee")
        verbose_name_plural = _("committees")
        ordering = ["code"]

    def __str__(self) -> str:
        return localized(self.name_ja, self.name_en)


class CommitteeMembership(models.Model):
    class Category(models.TextChoices):
        # JP-ERC-01: each member counts toward at most one category (JP-ERC-02).
        NATURAL_SCIENCE = "natural_science", _("Natural-science expert (medicine, health care)")
        HUMANITIES_SOCIAL = "humanities_social", _("Humanities / social-science expert (ethics, law)")
        GENERAL_PUBLIC = "general_public", _("General public's viewpoint")

    class Sex(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        OTHER = "other", _("Other / not stated")

    class Role(models.TextChoices):
        CHAIR = "chair", _("Chair")
        VICE_CHAIR = "vice_chair", _("Vice-chair")
        MEMBER = "member", _("Member")
        SECRETARIAT = "secretariat", _("Secretariat")

    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="committee_memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, blank=True)
    is_external = models.BooleanField(_("external (not affiliated with the institution)"), default=False)
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, blank=True)
    valid_from = models.DateField(_("term from"), default=timezone.localdate)
    valid_to = models.DateField(_("term to"), null=True, blank=True)

    class Meta:
        verbose_name = _("committee membership")
        verbose_name_plural = _("committee memberships")
        ordering = ["committee", "role", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "user", "valid_from"], name="committee_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @classmethod
    def current_q(cls) -> Q:
        today = timezone.localdate()
        return Q(valid_from__lte=today) & (Q(valid_to__isnull=True) | Q(valid_to__gte=today))
