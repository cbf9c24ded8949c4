import type { FC } from 'hono/jsx';

/** The accessibility statement (RGAA), as the law asks every public service online to publish. */
export const AccessibilityPage: FC = () => (
  <div class="card">
    <h1>Déclaration d'accessibilité</h1>
    <p>
      L'opérateur de la plateforme s'engage à rendre ses services en ligne accessibles, conformément à
      l'article 47 de la loi n° 2005-102 du 11 février 2005. Cette déclaration s'applique à la console
      agora-flow.
    </p>
    <h2>État de conformité</h2>
    <p>
      La console agora-flow est <strong>non conforme</strong> avec le référentiel général d'amélioration de
      l'accessibilité (RGAA) version 4.1 : aucun audit de conformité n'a encore été réalisé.
    </p>
    <h2>Ce qui est fait</h2>
    <ul>
      <li>
        Les pages suivent le Système de design de l'État (DSFR) : en-tête, navigation, pied de page,
        formulaires.
      </li>
      <li>
        Chaque page de la console est vérifiée automatiquement par axe-core à chaque version, à 390 et 1 366
        pixels de large : aucune erreur grave ou critique n'y est acceptée.
      </li>
      <li>Chaque graphique est accompagné d'un tableau de ses données, lisible par les lecteurs d'écran.</li>
      <li>Les pages se lisent sans défilement horizontal sur un écran de téléphone.</li>
    </ul>
    <h2>Contenus non accessibles</h2>
    <p>
      Les limites connues seront listées ici à l'issue de l'audit RGAA. Signalez-nous toute difficulté : nous
      vous proposerons un autre moyen d'accéder à l'information.
    </p>
    <h2>Retour d'information et contact</h2>
    <p>
      Si vous n'arrivez pas à accéder à un contenu ou à un service, contactez l'administration de la
      plateforme de votre organisation.
    </p>
    <h2>Voies de recours</h2>
    <p>
      Si vous constatez un défaut d'accessibilité vous empêchant d'accéder à un contenu ou à une
      fonctionnalité, que vous nous l'avez signalé et que vous n'avez pas obtenu de réponse satisfaisante,
      vous pouvez écrire au Défenseur des droits ou contacter son délégué dans votre région (
      <a href="https://www.defenseurdesdroits.fr" rel="noopener">
        defenseurdesdroits.fr
      </a>
      ).
    </p>
  </div>
);

/** The legal notice and the personal data this console shows. */
export const LegalPage: FC = () => (
  <div class="card">
    <h1>Mentions légales</h1>
    <h2>Éditeur</h2>
    <p>
      La plateforme agora-flow est exploitée par l'opérateur du hub de données de la formation professionnelle
      qui l'a déployée. Le logiciel est libre (licence MIT).
    </p>
    <h2 id="donnees">Données personnelles</h2>
    <p>
      La console montre aux agents des partenaires (financeurs, organismes de formation, Régions) les dossiers
      de formation qu'ils financent, dispensent ou suivent sur leur territoire : identité du stagiaire,
      parcours, financements et situation d'emploi dans les douze mois qui suivent la formation (déclarations
      sociales nominatives).
    </p>
    <ul>
      <li>
        Chaque lecture d'un NIR complet, d'une situation d'emploi ou d'un export est enregistrée avec le nom
        de l'agent et de son organisation.
      </li>
      <li>Le NIR n'apparaît jamais dans une adresse de page ; il est masqué pour qui n'en a pas l'usage.</li>
      <li>
        La session d'un agent se termine après 30 minutes d'inactivité, et au plus tard après 10 heures.
      </li>
    </ul>
    <p>
      Pour exercer vos droits (accès, rectification, limitation), adressez-vous au délégué à la protection des
      données de l'organisme qui a financé votre formation.
    </p>
  </div>
);
