"""The start page: the pages this person's role may open, nothing else."""

from __future__ import annotations

from flask import Blueprint, render_template

from .guard import page

bp = Blueprint("home", __name__)
NAV = ()


@bp.get("/")
@page()
def index() -> str:
    return render_template("home.html")
