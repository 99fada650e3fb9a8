from rest_framework.pagination import PageNumberPagination

from tickets.selectors import CappedPaginator


class StandardPagination(PageNumberPagination):
    # `count` is exact up to 10,000 and 10,000 above it: a COUNT(*) over every visible row would grow with the table.
    django_paginator_class = CappedPaginator
    page_size_query_param = "page_size"
    max_page_size = 100
