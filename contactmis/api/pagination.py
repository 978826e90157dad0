"""One pagination for every list endpoint: ``?limit=`` and ``?offset=`` bounded, so a hostile
value pages within what the database can count instead of overflowing it."""
from rest_framework.pagination import LimitOffsetPagination

MAX_OFFSET = 2**31 - 1


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """``limit`` at most 1,000 rows (default ``PAGE_SIZE``), ``offset`` at most 2³¹ − 1."""

    max_limit = 1000

    def get_offset(self, request):
        return min(super().get_offset(request), MAX_OFFSET)
