import factory
from django.contrib.auth import get_user_model

from tickets import events
from tickets.models import Attachment, Comment, Contact, Group, Ticket, TicketStatus, Via


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"agent{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("secret-pass-123")
    is_active = True


class AdminFactory(UserFactory):
    username = factory.Sequence(lambda n: f"admin{n}")
    is_staff = True
    is_superuser = True


class ProductAdminFactory(UserFactory):
    """A product admin by role alone: staff in the "Product admins" group, not a superuser."""

    username = factory.Sequence(lambda n: f"productadmin{n}")
    is_staff = True

    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def product_admin_role(self, create, extracted, **kwargs):
        if create:
            from tickets.roles import ensure_product_admins_group

            self.groups.add(ensure_product_admins_group())


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    name = factory.Sequence(lambda n: f"Group {n}")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    name = factory.Faker("name")
    email = factory.Faker("email")


class WhatsAppContactFactory(ContactFactory):
    email = ""
    wa_id = factory.Sequence(lambda n: f"55119{n:08d}")


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    subject = factory.Faker("sentence", nb_words=5)
    requester = factory.SubFactory(ContactFactory)
    status = TicketStatus.OPEN
    via = Via.WEB


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    ticket = factory.SubFactory(TicketFactory)
    author_role = "agent"
    author_user = factory.SubFactory(UserFactory)
    body = factory.Faker("paragraph")
    public = True


def ticket_with_comments(count: int, *, agent) -> Ticket:
    """A ticket assigned to `agent` with `count` comments, each with an attachment and its `comment.added` event:
    what the query-count tests of the ticket page grow."""
    ticket = TicketFactory(assignee=agent)
    for i in range(count):
        comment = Comment.objects.create(ticket=ticket, author_role="agent", author_user=agent, body=f"c{i}")
        Attachment.objects.create(ticket=ticket, comment=comment, filename=f"f{i}.txt", content_type="text/plain")
        events.comment_added(comment=comment, actor=agent)
    return ticket


def group_with(*members, **fields):
    """A group whose members are the given agents."""
    group = GroupFactory(**fields)
    group.members.set(members)
    return group
