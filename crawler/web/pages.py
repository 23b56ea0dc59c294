"""Documents (timeline, any version, any two compared) and profiles (criteria and their standing)."""

from __future__ import annotations

from starlette.routing import Route

from crawler.profiles import parse_interval
from crawler.standing import read_standing
from crawler.web.diffview import diff_view
from snapshots.reviews import cited_document, document_by_key, profile_counts, timeline, version_of, version_text


def routes(guard, render, error) -> list[Route]:
    def document_of(request, s):
        profile, source = request.path_params["profile"], request.path_params["source"]
        doc = cited_document(s, profile, source)
        if doc is None:
            catalog = request.app.state.catalog.get()
            src = catalog.profiles.get(profile).sources.get(source) if profile in catalog.profiles else None
            doc = document_by_key(s, src.key) if src else None
        return profile, source, doc

    def document_page(request):
        if (denied := guard(request)) is not None:
            return denied
        with request.app.state.archive.reading() as s:
            profile, source, doc = document_of(request, s)
            if doc is None:
                return error(request, 404, f"{profile}/{source} is not a checked document.")
            tl = timeline(s, doc.id)
            events = [("version", v.fetched_at, v) for v in tl.versions] + \
                     [("anomaly", a.since, a) for a in tl.anomalies]
            events.sort(key=lambda e: (e[1], e[0] == "version"), reverse=True)
            return render(request, "document.html", profile=profile, source=source, doc=doc, timeline=tl,
                          events=events)

    def version_page(request):
        if (denied := guard(request)) is not None:
            return denied
        with request.app.state.archive.reading() as s:
            profile, source, doc = document_of(request, s)
            version = version_of(s, doc.id, request.path_params["version_id"]) if doc else None
            if version is None:
                return error(request, 404, "There is no such version of this document.")
            return render(request, "version.html", profile=profile, source=source, doc=doc, version=version,
                          text=version_text(s, version))

    def compare_page(request):
        if (denied := guard(request)) is not None:
            return denied
        try:
            a, b = int(request.query_params.get("a", "")), int(request.query_params.get("b", ""))
        except ValueError:
            return error(request, 400, "Choose two versions to compare.")
        view = "side" if request.query_params.get("view") == "side" else "inline"
        all_sections = request.query_params.get("sections") == "all"
        with request.app.state.archive.reading() as s:
            profile, source, doc = document_of(request, s)
            old, new = (version_of(s, doc.id, a), version_of(s, doc.id, b)) if doc else (None, None)
            if old is None or new is None:
                return error(request, 404, "Both versions must belong to this document.")
            diff = diff_view(version_text(s, old), version_text(s, new), all_sections=all_sections)
            return render(request, "compare.html", profile=profile, source=source, doc=doc, old=old, new=new,
                          diff=diff, view=view, all_sections=all_sections)

    def profiles_page(request):
        if (denied := guard(request)) is not None:
            return denied
        catalog = request.app.state.catalog.get()
        with request.app.state.archive.reading() as s:
            counts = profile_counts(s)
        return render(request, "profiles.html", profiles=list(catalog.profiles.values()), counts=counts,
                      errors=catalog.errors)

    def profile_page(request):
        if (denied := guard(request)) is not None:
            return denied
        profile = request.app.state.catalog.get().profiles.get(request.path_params["profile"])
        if profile is None:
            return error(request, 404, "There is no such profile (or its file is invalid: see clausewatch validate).")
        max_age = parse_interval(request.app.state.settings.max_age)
        with request.app.state.archive.reading() as s:
            standing = read_standing(s, profile, max_age=max_age)
        return render(request, "profile.html", profile=profile, standing=standing)

    return [
        Route("/documents/{profile}/{source}", document_page, name="document"),
        Route("/documents/{profile}/{source}/versions/{version_id:int}", version_page, name="version"),
        Route("/documents/{profile}/{source}/compare", compare_page, name="compare"),
        Route("/profiles", profiles_page, name="profiles"),
        Route("/profiles/{profile}", profile_page, name="profile"),
    ]
