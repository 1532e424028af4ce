from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def graph_page(request):
    return render(request, "flows/graph.html")
