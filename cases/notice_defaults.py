# ruff: noqa: RUF001 (French texts use the typographic apostrophe, as the catalogues do)
"""The legal explanations notices start with, per subject and language.

The Institute's lawyers keep them in the admin (``NoticeExplanation``); migration 0021
puts these in a new database, and ``ensure_notice_explanations`` adds any that are
missing without touching those edited. They cite the law of 4 May 2020 and the Criminal
Code as renumbered by the law of 21 March 2022: the lawyers check them before use.
"""

from __future__ import annotations

EXPLANATIONS = {
    "ncii": {
        "en": (
            "The content shows a person naked or in a sexual context and is made available "
            "without that person's consent. Showing, making available or spreading such "
            "images or recordings without consent, or threatening to, is an offence under "
            "Article 417/9 of the Belgian Criminal Code (law of 4 May 2020 on the "
            "non-consensual dissemination of sexual images and recordings, as renumbered by "
            "the law of 21 March 2022); Article 417/10 punishes it more severely when done "
            "with malicious intent or for profit."
        ),
        "nl": (
            "De inhoud toont een persoon naakt of in een seksuele context en wordt "
            "verspreid zonder de toestemming van die persoon. Zulke beelden of opnamen "
            "zonder toestemming tonen, beschikbaar stellen of verspreiden, of daarmee "
            "dreigen, is strafbaar volgens artikel 417/9 van het Belgische Strafwetboek "
            "(wet van 4 mei 2020 ter bestrijding van de niet-consensuele verspreiding van "
            "seksueel getinte beelden en opnamen, hernummerd door de wet van 21 maart 2022); "
            "artikel 417/10 bestraft het zwaarder met kwaadwillig opzet of winstoogmerk."
        ),
        "fr": (
            "Le contenu montre une personne nue ou dans un contexte sexuel et est diffusé "
            "sans le consentement de cette personne. Montrer, rendre accessibles ou diffuser "
            "de telles images ou enregistrements sans consentement, ou menacer de le faire, "
            "est une infraction prévue par l’article 417/9 du Code pénal belge (loi du "
            "4 mai 2020 visant à combattre la diffusion non consensuelle d’images et "
            "d’enregistrements à caractère sexuel, renumérotée par la loi du 21 mars 2022) ; "
            "l’article 417/10 la punit plus sévèrement en cas d’intention méchante ou de but "
            "lucratif."
        ),
        "de": (
            "Der Inhalt zeigt eine Person nackt oder in einem sexuellen Zusammenhang und wird "
            "ohne die Zustimmung dieser Person verbreitet. Solche Bilder oder Aufnahmen ohne "
            "Zustimmung zu zeigen, zugänglich zu machen oder zu verbreiten, oder dies "
            "anzudrohen, ist eine Straftat nach Artikel 417/9 des belgischen "
            "Strafgesetzbuches (Gesetz vom 4. Mai 2020 zur Bekämpfung der nicht "
            "einvernehmlichen Verbreitung sexueller Bilder und Aufnahmen, neu nummeriert "
            "durch das Gesetz vom 21. März 2022); Artikel 417/10 bestraft sie schwerer bei "
            "böswilliger Absicht oder Gewinnabsicht."
        ),
    },
    "voyeurism": {
        "en": (
            "The content was recorded while the person was watched or filmed naked or in a "
            "sexual context without their knowledge or consent. This is voyeurism, an "
            "offence under Article 417/8 of the Belgian Criminal Code; spreading such "
            "recordings is an offence under Article 417/9."
        ),
        "nl": (
            "De inhoud werd opgenomen terwijl de persoon naakt of in een seksuele context "
            "werd bekeken of gefilmd zonder dat die persoon het wist of ermee instemde. Dat "
            "is voyeurisme, strafbaar volgens artikel 417/8 van het Belgische Strafwetboek; "
            "zulke opnamen verspreiden is strafbaar volgens artikel 417/9."
        ),
        "fr": (
            "Le contenu a été enregistré alors que la personne était observée ou filmée nue "
            "ou dans un contexte sexuel à son insu ou sans son consentement. C’est du "
            "voyeurisme, infraction prévue par l’article 417/8 du Code pénal belge ; diffuser "
            "de tels enregistrements est une infraction prévue par l’article 417/9."
        ),
        "de": (
            "Der Inhalt wurde aufgenommen, während die Person nackt oder in einem sexuellen "
            "Zusammenhang ohne ihr Wissen oder ihre Zustimmung beobachtet oder gefilmt wurde. "
            "Das ist Voyeurismus, eine Straftat nach Artikel 417/8 des belgischen "
            "Strafgesetzbuches; solche Aufnahmen zu verbreiten ist eine Straftat nach "
            "Artikel 417/9."
        ),
    },
    "sextortion": {
        "en": (
            "The content is used to threaten the person: its spreading is threatened to "
            "obtain money, more images or another advantage. Threatening to spread sexual "
            "images or recordings without consent is an offence under Articles 417/9 and "
            "417/10 of the Belgian Criminal Code, and obtaining something by such a threat "
            "is extortion under Article 470."
        ),
        "nl": (
            "De inhoud wordt gebruikt om de persoon te bedreigen: met de verspreiding ervan "
            "wordt gedreigd om geld, meer beelden of een ander voordeel te verkrijgen. Dreigen "
            "met de niet-consensuele verspreiding van seksueel getinte beelden of opnamen is "
            "strafbaar volgens de artikelen 417/9 en 417/10 van het Belgische Strafwetboek, "
            "en iets verkrijgen door zo'n bedreiging is afpersing volgens artikel 470."
        ),
        "fr": (
            "Le contenu sert à menacer la personne : sa diffusion est brandie pour obtenir de "
            "l’argent, d’autres images ou un autre avantage. Menacer de diffuser des images ou "
            "enregistrements à caractère sexuel sans consentement est une infraction prévue "
            "par les articles 417/9 et 417/10 du Code pénal belge, et obtenir quelque chose "
            "par une telle menace est une extorsion au sens de l’article 470."
        ),
        "de": (
            "Der Inhalt wird benutzt, um die Person zu bedrohen: Mit seiner Verbreitung wird "
            "gedroht, um Geld, weitere Bilder oder einen anderen Vorteil zu erlangen. Die "
            "Drohung, sexuelle Bilder oder Aufnahmen ohne Zustimmung zu verbreiten, ist eine "
            "Straftat nach den Artikeln 417/9 und 417/10 des belgischen Strafgesetzbuches, "
            "und durch eine solche Drohung etwas zu erlangen ist Erpressung nach Artikel 470."
        ),
    },
    "minor": {
        "en": (
            "The content shows a person under 18. Sexual images of a minor are child sexual "
            "abuse material under the Belgian Criminal Code (sexual offences as reformed by "
            "the law of 21 March 2022) and fall under the offences referred to in Articles 3 "
            "to 7 of Directive 2011/93/EU."
        ),
        "nl": (
            "De inhoud toont een persoon jonger dan 18. Seksuele beelden van een minderjarige "
            "zijn materiaal van seksueel misbruik van kinderen volgens het Belgische "
            "Strafwetboek (seksueel strafrecht hervormd door de wet van 21 maart 2022) en "
            "vallen onder de strafbare feiten bedoeld in de artikelen 3 tot 7 van Richtlijn "
            "2011/93/EU."
        ),
        "fr": (
            "Le contenu montre une personne de moins de 18 ans. Des images sexuelles d’un "
            "mineur sont du matériel d’abus sexuels d’enfants au sens du Code pénal belge "
            "(droit pénal sexuel réformé par la loi du 21 mars 2022) et relèvent des "
            "infractions visées aux articles 3 à 7 de la directive 2011/93/UE."
        ),
        "de": (
            "Der Inhalt zeigt eine Person unter 18 Jahren. Sexuelle Bilder einer "
            "minderjährigen Person sind Darstellungen sexuellen Kindesmissbrauchs im Sinne "
            "des belgischen Strafgesetzbuches (Sexualstrafrecht reformiert durch das Gesetz "
            "vom 21. März 2022) und fallen unter die Straftaten nach den Artikeln 3 bis 7 der "
            "Richtlinie 2011/93/EU."
        ),
    },
}


def ensure_notice_explanations(model=None) -> int:
    """Add the explanations missing from the table; how many were added. ``model``: the
    historical model when called from a migration."""
    if model is None:
        from .models import NoticeExplanation as model
    added = 0
    for ground, texts in EXPLANATIONS.items():
        for language, text in texts.items():
            _row, created = model.objects.get_or_create(
                ground=ground, language=language, defaults={"text": text}
            )
            added += created
    return added
